package rootfs

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Pivot makes rootfs the root. pivot_root(".", ".") stacks the old root
// under the new one, then it is detached: no directory is needed for it.
// With noPivot (ramfs roots, where pivot_root fails) the rootfs is moved
// over / and chrooted into.
func Pivot(rootfs string, noPivot, hostMounts bool) error {
	if hostMounts { // the runtime's mount namespace: chroot only
		if err := unix.Chroot(rootfs); err != nil {
			return fmt.Errorf("chroot: %w", err)
		}
		return unix.Chdir("/")
	}
	if noPivot {
		if err := unix.Chdir(rootfs); err != nil {
			return err
		}
		if err := unix.Mount(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
			return fmt.Errorf("move rootfs: %w", err)
		}
		if err := unix.Chroot("."); err != nil {
			return fmt.Errorf("chroot: %w", err)
		}
		return unix.Chdir("/")
	}
	oldroot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(oldroot)
	if err := unix.Chdir(rootfs); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root %s: %w", rootfs, err)
	}
	if err := unix.Fchdir(oldroot); err != nil {
		return err
	}
	// Slave first so the detach never propagates to the host.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make old root slave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	return unix.Chdir("/")
}

// Finish runs after the pivot: masked and read-only paths, then the root
// made read-only and given its final propagation.
func Finish(c *Config) error {
	l := c.Spec.Linux
	for _, p := range l.MaskedPaths {
		if err := mask(p); err != nil {
			return err
		}
	}
	for _, p := range l.ReadonlyPaths {
		if err := readonly(p); err != nil {
			return err
		}
	}
	if c.Spec.Root.Readonly {
		if err := remount("/", unix.MS_RDONLY); err != nil {
			return fmt.Errorf("make root read-only: %w", err)
		}
	}
	if p, ok := propagationFlags[l.RootfsPropagation]; ok && !c.HostMounts {
		if err := unix.Mount("", "/", "", p, ""); err != nil {
			return fmt.Errorf("set rootfs propagation: %w", err)
		}
	}
	return nil
}

// mask hides p: a directory under an empty read-only tmpfs, a file under
// /dev/null. Paths that do not exist need no mask.
func mask(p string) error {
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mask %s: %w", p, err)
	}
	if fi.IsDir() {
		err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "")
	} else {
		var null int
		if null, err = nullDevice(); err == nil {
			err = unix.Mount(fdPath(null), p, "", unix.MS_BIND, "")
			unix.Close(null)
		}
	}
	if err != nil {
		return fmt.Errorf("mask %s: %w", p, err)
	}
	return nil
}

func readonly(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("readonly %s: %w", p, err)
	}
	if err := remount(p, unix.MS_RDONLY|unix.MS_REC); err != nil {
		return fmt.Errorf("readonly %s: %w", p, err)
	}
	return nil
}
