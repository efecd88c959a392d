package engine

import (
	"errors"
	"fmt"
	"os"

	"github.com/jinn-containers/jinn/internal/mounter"
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

// mountOn mounts m on dir (mounter owns the options' meaning).
func mountOn(m Mount, dir string) error {
	return mounter.Mount(m.Type, m.Source, dir, m.Options)
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
