package snapshot

import (
	"fmt"

	"github.com/jinn-containers/jinn/internal/mounter"
	"golang.org/x/sys/unix"
)

// MountAll performs mounts on target, in order. On failure it undoes what it
// did, so target is left as it was.
func MountAll(mounts []Mount, target string) error {
	for i, m := range mounts {
		if err := mountOne(m, target); err != nil {
			for j := i - 1; j >= 0; j-- {
				unix.Unmount(target, unix.MNT_DETACH)
			}
			return err
		}
	}
	return nil
}

// UnmountAll unmounts everything stacked on target (lazily if busy).
func UnmountAll(target string) error {
	for {
		err := unix.Unmount(target, 0)
		if err == unix.EBUSY {
			err = unix.Unmount(target, unix.MNT_DETACH)
		}
		if err == unix.EINVAL || err == unix.ENOENT {
			return nil // not (or no longer) a mount point
		}
		if err != nil {
			return fmt.Errorf("unmount %s: %w", target, err)
		}
	}
}

func mountOne(m Mount, target string) error {
	return mounter.Mount(m.Type, m.Source, target, m.Options)
}
