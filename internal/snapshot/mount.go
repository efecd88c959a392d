package snapshot

import (
	"fmt"
	"strings"

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
	var flags uintptr
	var data []string
	bind := m.Type == "bind"
	for _, o := range m.Options {
		switch o {
		case "ro":
			flags |= unix.MS_RDONLY
		case "rw":
		case "bind":
			bind = true
		case "rbind":
			bind = true
			flags |= unix.MS_REC
		case "nosuid":
			flags |= unix.MS_NOSUID
		case "nodev":
			flags |= unix.MS_NODEV
		case "noexec":
			flags |= unix.MS_NOEXEC
		default:
			data = append(data, o)
		}
	}
	typ := m.Type
	if bind {
		flags |= unix.MS_BIND
		typ = ""
	}
	if err := unix.Mount(m.Source, target, typ, flags&^unix.MS_RDONLY|func() uintptr {
		if bind {
			return 0 // MS_RDONLY needs a remount for binds
		}
		return flags & unix.MS_RDONLY
	}(), strings.Join(data, ",")); err != nil {
		return fmt.Errorf("mount %s (%s) on %s: %w", m.Source, m.Type, target, err)
	}
	if bind && flags&unix.MS_RDONLY != 0 {
		if err := unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			unix.Unmount(target, unix.MNT_DETACH)
			return fmt.Errorf("remount %s read-only: %w", target, err)
		}
	}
	return nil
}
