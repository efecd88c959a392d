package cli

import (
	"github.com/jinn-containers/jinn/internal/image"
)

// openImageStore opens the image store under --root, with the engine's
// in-use check so that rmi and image prune refuse images that containers
// use.
func openImageStore(o *Options, extra ...image.OpenOption) (*image.Store, error) {
	return image.Open(o.Root, append([]image.OpenOption{image.WithInUse(imagesInUse(o))}, extra...)...)
}
