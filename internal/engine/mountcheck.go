package engine

import (
	"fmt"
	"path"
	"strings"

	"github.com/jinn-containers/jinn/internal/clip"
	"github.com/jinn-containers/jinn/internal/fsroot"
	"github.com/jinn-containers/jinn/internal/rootfs/procdest"
)

// kernelViews are where the kernel's own filesystems are mounted: an
// image's VOLUME on one of them (or below, or on /) would hide the
// kernel's view, and the masks made on it, behind a volume the image
// fills (the image is untrusted; a user's explicit -v is the user's).
var kernelViews = []string{"/proc", "/sys", "/dev"}

// checkImageVolume refuses an image VOLUME vol that lands on dest (the
// path resolved inside the image's root).
func checkImageVolume(vol, dest string) error {
	dest = path.Clean("/" + dest)
	bad := dest == "/"
	for _, k := range kernelViews {
		bad = bad || dest == k || strings.HasPrefix(dest, k+"/")
	}
	if !bad {
		return nil
	}
	if dest != path.Clean("/"+vol) {
		return fmt.Errorf("invalid image: VOLUME %s resolves to %s inside the image, over the kernel's view; refused", clip.Quote(vol), clip.Line(dest))
	}
	return fmt.Errorf("invalid image: VOLUME %s would hide the kernel's view at %s; refused", clip.Quote(vol), clip.Line(dest))
}

// checkMountDest refuses a -v/--mount/--tmpfs destination (resolved or
// as written) at / or where runc refuses one (/proc and below it).
func checkMountDest(dest string) error {
	if path.Clean("/"+dest) == "/" {
		return fmt.Errorf("invalid mount config: destination can't be '/'")
	}
	return procdest.Check(dest, false)
}

// checkResolvedMounts judges every mount destination where it lands in
// the container's root, through the image's symlinks: VOLUME /data with
// /data -> /proc in the image is VOLUME /proc.
func (e *Local) checkResolvedMounts(c *Container, imageVols map[string]bool) error {
	if len(c.Mounts) == 0 {
		return nil
	}
	r, err := fsroot.Open(e.rootPath(c))
	if err != nil {
		return err
	}
	defer r.Close()
	for _, m := range c.Mounts {
		dest, err := r.Resolve(m.Destination)
		if err != nil {
			return fmt.Errorf("mount destination %s: %w", clip.Line(m.Destination), err)
		}
		if imageVols[m.Destination] {
			err = checkImageVolume(m.Destination, clip.Line(dest))
		} else if err = checkMountDest(dest); err != nil && dest != m.Destination {
			err = fmt.Errorf("mount destination %s resolves to %s inside the image: %w", clip.Quote(m.Destination), clip.Line(dest), err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// imageVolumes are the container's mounts that come from the image's
// VOLUMEs (not the user's flags).
func imageVolumes(c *Container, img *Image) map[string]bool {
	vols := map[string]bool{}
	for v := range img.Config.Volumes {
		vols[path.Clean(v)] = true
	}
	m := map[string]bool{}
	for _, mp := range c.Mounts {
		if mp.Anonymous && mp.Type == "volume" && vols[mp.Destination] {
			m[mp.Destination] = true
		}
	}
	return m
}
