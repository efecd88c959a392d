package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// A reboot empties the run root: the engine's and the runtime's state, the
// monitors and the mounts are gone, the store under --root stays. Two
// markers in the container's directory (under --root) carry what the
// engine then needs: that the container has run (so it is exited, with
// docker's 255, rather than created) and that a user stopped it (so
// `jinn system boot` leaves an unless-stopped container stopped, as
// dockerd does at its start). The run marker is an extended attribute of
// the directory (an empty file where the file system has none, and in
// stores from before): a new inode at every start costs, on a busy file
// system, a scan of the inodes freed lately (ext4 without a journal). The
// stop marker is an empty file.
const ranMarker = "ran"

// ranXattr marks a container that has run (see ranMarker).
const ranXattr = "user.jinn.ran"

// markRan records a start: the container has run, and no user stop holds.
func (e *Local) markRan(c *Container) {
	dir := e.containerDir(c.ID)
	e.rec().Op("xattr", dir, ranXattr, "1")
	e.rec().Op("unlink", filepath.Join(dir, monitor.StopMarker))
	if unix.Setxattr(dir, ranXattr, []byte("1"), 0) != nil {
		e.rec().Refuse("no user xattrs under the root")
		if f, err := os.OpenFile(filepath.Join(dir, ranMarker), os.O_CREATE|os.O_RDONLY, 0o600); err == nil {
			f.Close()
		}
	}
	os.Remove(filepath.Join(dir, monitor.StopMarker))
}

// markStopped records a stop by the user: the monitor's restart policy
// must not restart the container (in the run root), nor must a boot start
// an unless-stopped one (in the container's directory).
func (e *Local) markStopped(c *Container) {
	os.WriteFile(filepath.Join(e.stateDir(c.ID), monitor.StopMarker), nil, 0o600)
	os.WriteFile(filepath.Join(e.containerDir(c.ID), monitor.StopMarker), nil, 0o600)
}

func (e *Local) hasRun(id string) bool {
	var b [1]byte
	if _, err := unix.Getxattr(e.containerDir(id), ranXattr, b[:]); err == nil {
		return true
	}
	_, err := os.Stat(filepath.Join(e.containerDir(id), ranMarker))
	return err == nil
}

func (e *Local) stoppedByUser(id string) bool {
	_, err := os.Stat(filepath.Join(e.containerDir(id), monitor.StopMarker))
	return err == nil
}

// Boot starts, oldest first, every stopped container whose restart policy
// is always, or unless-stopped and not stopped by a user: what dockerd
// does when it starts, for a host that has just booted (contrib/'s
// jinn-boot.service runs it). It returns the containers started; one that
// fails to start does not keep the others from starting.
func (e *Local) Boot(ctx context.Context) ([]string, error) {
	views, err := e.list()
	if err != nil {
		return nil, err
	}
	var started []string
	var errs []error
	for i := len(views) - 1; i >= 0; i-- {
		v := views[i]
		if ctx.Err() != nil {
			return started, ctx.Err()
		}
		if v.State.Status != "exited" {
			continue
		}
		switch v.Host.RestartPolicy.Name {
		case "always":
		case "unless-stopped":
			if e.stoppedByUser(v.ID) {
				continue
			}
		default:
			continue
		}
		if _, err := e.Start(ctx, v.ID, nil); err != nil {
			errs = append(errs, fmt.Errorf("start %s: %w", v.Name, err))
			continue
		}
		started = append(started, v.Name)
	}
	return started, errors.Join(errs...)
}
