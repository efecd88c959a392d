package rootfs

import (
	"fmt"
	"strconv"

	"github.com/jinn-containers/jinn/internal/fsroot"
)

// Root is the open root filesystem: every path inside it is resolved by
// the kernel inside the root (internal/fsroot), so a symlink in the image
// can never point a mount or a device node outside the rootfs.
type Root = fsroot.Root

// OpenRoot opens dir as a Root. Call it after dir is a mount point of its
// own, so that paths resolve on top of the mounts made inside it.
func OpenRoot(dir string) (*Root, error) {
	r, err := fsroot.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open rootfs: %w", err)
	}
	return r, nil
}

// fdPath names an open descriptor as a path the mount syscalls follow.
func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }
