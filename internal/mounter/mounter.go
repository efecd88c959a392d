// Package mounter performs a mount given as data (type, source, options
// as in mount(8) and containerd's mounts): the one owner of splitting
// options into flags and filesystem data for the engine and the
// snapshotter. The runtime mounts a spec's mounts itself (rootfs), with
// the path safety a container's root needs.
package mounter

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Mount mounts source on target. A bind is typeless; a read-only bind is
// remounted read-only, since the kernel ignores MS_RDONLY on the bind
// itself, and undone if that fails.
func Mount(typ, source, target string, options []string) error {
	flags, data, bind := Split(typ, options)
	if bind {
		if err := unix.Mount(source, target, "", flags&^unix.MS_RDONLY|unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s on %s: %w", source, target, err)
		}
		if flags&unix.MS_RDONLY != 0 {
			if err := unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
				unix.Unmount(target, unix.MNT_DETACH)
				return fmt.Errorf("remount %s read-only: %w", target, err)
			}
		}
		return nil
	}
	if err := unix.Mount(source, target, typ, flags, data); err != nil {
		return fmt.Errorf("mount %s (%s) on %s: %w", source, typ, target, err)
	}
	return nil
}

// Split is options as mount(2) takes them: the flags, the filesystem
// data, and whether it is a bind.
func Split(typ string, options []string) (flags uintptr, data string, bind bool) {
	var d []string
	bind = typ == "bind"
	for _, o := range options {
		switch o {
		case "ro":
			flags |= unix.MS_RDONLY
		case "rw", "":
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
			d = append(d, o)
		}
	}
	return flags, strings.Join(d, ","), bind
}
