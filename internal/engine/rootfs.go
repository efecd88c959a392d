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
	e.recMkdir(dir, 0o755)
	mounts, err := e.images.Mounts(c.Snapshot)
	if err != nil {
		return fmt.Errorf("snapshot of %s: %w", c.ID, err)
	}
	for _, m := range mounts {
		if err := mountOn(m, dir); err != nil {
			return fmt.Errorf("mount %s root filesystem on %s: %w", m.Type, dir, err)
		}
		if r := e.rec(); r != nil {
			// As mounter splits them: the replay passes them on.
			flags, data, bind := mounter.Split(m.Type, m.Options)
			if bind {
				r.Refuse("a bind as the root filesystem")
			}
			r.Op("mount", m.Type, m.Source, dir, data, int(flags))
		}
	}
	return nil
}

// mountOn mounts m on dir (mounter owns the options' meaning).
func mountOn(m Mount, dir string) error {
	return mounter.Mount(m.Type, m.Source, dir, m.Options)
}

// unmountRunning unmounts, in the background, the host's mount of the root
// filesystem of a --rm container that its attached CLI just started, and
// returns a channel closed once done. The container no longer needs it: its
// mount namespace has a mount of its own (the runtime's bind and
// pivot_root, in a private tree that no unmount here reaches), which keeps
// the overlay alive until the container's namespace goes; what looks into
// a running container goes through /proc/PID/root (cp, exec -u). So the
// unmount's RCU grace period (namespace_unlock, 1-10 ms here) passes while
// the container runs, instead of after its exit, before the snapshot's
// removal. A CLI killed after it leaves the container whole: rm -f and
// prune find its rootfs unmounted, as after a reboot.
func (e *Local) unmountRunning(c *Container) <-chan struct{} {
	return e.background(func() { e.unmountRootfs(c) })
}

func (e *Local) unmountRootfs(c *Container) {
	if c.Snapshot == "" {
		return
	}
	dir := e.rootfsDir(c.ID)
	e.rec().Op("umount", dir)
	for i := 0; i < 8; i++ {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
				break
			}
		}
	}
}
