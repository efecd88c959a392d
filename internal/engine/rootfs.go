package engine

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// rootPath is where the container's root filesystem is seen from the host.
func (e *Local) rootPath(c *Container) string {
	if c.Rootfs != "" {
		return c.Rootfs
	}
	return e.rootfsDir(c.ID)
}

// mountRootfs mounts the container's snapshot at its rootfs dir (again
// after a reboot emptied the run root).
func (e *Local) mountRootfs(c *Container) error {
	if c.Snapshot == "" {
		return nil
	}
	dir := e.rootfsDir(c.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if isMountpoint(dir) {
		return nil
	}
	mounts, err := e.images.Mounts(c.Snapshot)
	if err != nil {
		return fmt.Errorf("snapshot of %s: %w", c.ID, err)
	}
	for _, m := range mounts {
		if err := mountOn(m, dir); err != nil {
			return fmt.Errorf("mount %s root filesystem on %s: %w", m.Type, dir, err)
		}
	}
	return nil
}

// mountOn mounts m on dir, its options split into flags and data as
// mount(8) does; a read-only bind is remounted read-only (the kernel
// ignores MS_RDONLY on the bind itself).
func mountOn(m Mount, dir string) error {
	var flags uintptr
	var data []string
	for _, o := range m.Options {
		switch o {
		case "ro":
			flags |= unix.MS_RDONLY
		case "rw":
		case "rbind":
			flags |= unix.MS_BIND | unix.MS_REC
		case "bind":
			flags |= unix.MS_BIND
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
	if flags&unix.MS_BIND != 0 {
		typ = ""
	}
	if err := unix.Mount(m.Source, dir, typ, flags, strings.Join(data, ",")); err != nil {
		return err
	}
	if flags&unix.MS_BIND != 0 && flags&unix.MS_RDONLY != 0 {
		if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
			unix.Unmount(dir, unix.MNT_DETACH)
			return err
		}
	}
	return nil
}

func (e *Local) unmountRootfs(c *Container) {
	if c.Snapshot == "" {
		return
	}
	dir := e.rootfsDir(c.ID)
	for i := 0; i < 8; i++ {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
				break
			}
		}
	}
}
