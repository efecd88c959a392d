package cli

import (
	"github.com/jinn-containers/jinn/internal/image"
)

// openImageStore opens the image store under --root, with the engine's
// in-use check so that rmi and image prune refuse images that containers
// use.
// A command opens it once: run's image check and its engine share it.
func openImageStore(o *Options, extra ...image.OpenOption) (*image.Store, error) {
	if len(extra) == 0 && o.images != nil {
		return o.images, nil
	}
	st, err := image.Open(o.Root, append([]image.OpenOption{image.WithInUse(imagesInUse(o))}, extra...)...)
	if err == nil && len(extra) == 0 {
		o.images = st
	}
	return st, err
}

// foundImage is an image a command looked up before the engine's create
// (run and create check it is there, to pull it if not): the engine's
// lookup of the same reference takes it instead of reading the image's
// records, config and manifest a second time.
type foundImage struct {
	ref string
	img *image.Image
}

// take returns the image found for ref, once.
func (f *foundImage) take(ref string) *image.Image {
	if f.img == nil || f.ref != ref {
		return nil
	}
	img := f.img
	*f = foundImage{}
	return img
}
