package rootfs

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Recursive mount options (runc's rro, rnosuid, ...): mount(2) applies
// flags to one mount only, so a submount of an rbind would stay writable.
// mount_setattr(2) with AT_RECURSIVE (Linux 5.12) sets them on the whole
// tree.
var recursiveOptions = map[string]flagOpt{
	"rro": {false, unix.MOUNT_ATTR_RDONLY}, "rrw": {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid": {false, unix.MOUNT_ATTR_NOSUID}, "rsuid": {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev": {false, unix.MOUNT_ATTR_NODEV}, "rdev": {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec": {false, unix.MOUNT_ATTR_NOEXEC}, "rexec": {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime": {false, unix.MOUNT_ATTR_NODIRATIME}, "rdiratime": {true, unix.MOUNT_ATTR_NODIRATIME},
	"rnosymfollow": {false, unix.MOUNT_ATTR_NOSYMFOLLOW}, "rsymfollow": {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

// recursiveAttr collects the recursive options of a mount; nil if none.
func recursiveAttr(opts []string) *unix.MountAttr {
	var a *unix.MountAttr
	for _, o := range opts {
		f, ok := recursiveOptions[o]
		if !ok {
			continue
		}
		if a == nil {
			a = &unix.MountAttr{}
		}
		if f.clear {
			a.Attr_set &^= uint64(f.flag)
			a.Attr_clr |= uint64(f.flag)
		} else {
			a.Attr_clr &^= uint64(f.flag)
			a.Attr_set |= uint64(f.flag)
		}
	}
	return a
}

// setRecursive applies a to the mount at fd and every mount below it.
func setRecursive(fd int, a *unix.MountAttr) error {
	err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, a)
	if errors.Is(err, unix.ENOSYS) {
		return errors.New("recursive mount options (rro, ...) need Linux 5.12 or newer (mount_setattr)")
	}
	if err != nil {
		return fmt.Errorf("mount_setattr recursive: %w", err)
	}
	return nil
}
