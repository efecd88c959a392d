package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Resource control of a live container, all through its cgroup: update,
// pause, resume, events. cgroupfs is the record of the limits in force, so
// the saved state is not rewritten.

// StatePaused is runc's status of a container whose cgroup is frozen.
const StatePaused specs.ContainerState = "paused"

// Update writes new limits to a created, running or paused container's
// cgroup: all of them or, on any error, none.
func (r *Runtime) Update(id string, res *specs.LinuxResources) error {
	c, mgr, err := r.live(id)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := mgr.Set(res); err != nil {
		return fmt.Errorf("update %s: %w", id, err)
	}
	return nil
}

// Pause freezes every process of a running container.
func (r *Runtime) Pause(id string) error {
	c, mgr, err := r.live(id)
	if err != nil {
		return err
	}
	defer c.Close()
	switch st := c.Status(); st {
	case specs.StateRunning, specs.StateCreated:
	default:
		return fmt.Errorf("container %s is not running: %s", id, st)
	}
	return mgr.Freeze()
}

// Resume thaws a paused container.
func (r *Runtime) Resume(id string) error {
	c, mgr, err := r.live(id)
	if err != nil {
		return err
	}
	defer c.Close()
	if c.Status() != StatePaused {
		return fmt.Errorf("container %s is not paused", id)
	}
	return mgr.Thaw()
}

// Stats reads a live container's resource usage.
func (r *Runtime) Stats(id string) (*cgroups.Stats, error) {
	c, mgr, err := r.live(id)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return mgr.Stats()
}

// Event is one line of `events`, as runc prints it.
type Event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// Events sends the container's OOM events as the kernel reports them and,
// every interval (if positive), its stats; it sends an "exit" event and
// returns when the container's init is gone. stats alone sends one stats
// event and returns.
func (r *Runtime) Events(ctx context.Context, id string, interval time.Duration, statsOnly bool, send func(Event) error) error {
	c, mgr, err := r.live(id)
	if err != nil {
		return err
	}
	// Do not hold the lock while watching: other commands must run.
	st := c.State
	c.Close()
	stats := func() error {
		s, err := mgr.Stats()
		if err != nil {
			return err
		}
		return send(Event{Type: "stats", ID: id, Data: s})
	}
	if statsOnly {
		return stats()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	oom, err := mgr.NotifyOOM(ctx)
	if err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		waitExit(st.Pid, st.StartTime, 1<<62)
		close(exited)
	}()
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-oom:
			if !ok {
				oom = nil // the cgroup is gone; the exit follows
				continue
			}
			if err := send(Event{Type: "oom", ID: id}); err != nil {
				return err
			}
		case <-tick:
			if err := stats(); err != nil && alive(st.Pid, st.StartTime) {
				return err
			}
		case <-exited:
			// An OOM kill of the init raises both at once: report the
			// OOM first.
			select {
			case _, ok := <-oom:
				if ok {
					if err := send(Event{Type: "oom", ID: id}); err != nil {
						return err
					}
				}
			case <-time.After(20 * time.Millisecond):
			}
			return send(Event{Type: "exit", ID: id})
		}
	}
}

// live loads a container that has not stopped, with its cgroup.
func (r *Runtime) live(id string) (*Container, cgroups.Manager, error) {
	c, err := r.Load(id)
	if err != nil {
		return nil, nil, err
	}
	if c.Status() == specs.StateStopped {
		c.Close()
		return nil, nil, ErrNotRunning
	}
	mgr, err := r.cgroup(c)
	if err == nil && (mgr == nil || !mgr.Exists()) {
		err = fmt.Errorf("container %s has no cgroup", id)
	}
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, mgr, nil
}

// frozen says whether a live container's cgroup is frozen: Status reports
// such a container as paused.
func (c *Container) frozen() bool {
	mgr, err := (&Runtime{}).cgroup(c)
	if err != nil || mgr == nil {
		return false
	}
	f, err := mgr.Frozen()
	return err == nil && f
}

// oomScoreEnv carries the oom_score_adj jinn-runtime had before it
// protected itself, for the container's init to take back: a container
// must not inherit the runtime's protection.
const oomScoreEnv = "_JINN_OOM_SCORE_ADJ"

// ProtectSelf lowers jinn-runtime's oom_score_adj so that a host-wide OOM
// picks a container's process rather than the runtime, and records the old
// value for the children to restore.
func ProtectSelf() {
	old, err := cgroups.Protect()
	if err != nil {
		return // without CAP_SYS_RESOURCE the score stays as it was
	}
	os.Setenv(oomScoreEnv, strconv.Itoa(old))
}

// restoreOOMScore gives the container's init the score the runtime had.
func restoreOOMScore(env string) error {
	if env == "" {
		return nil
	}
	if _, err := strconv.Atoi(env); err != nil {
		return errors.New("bad " + oomScoreEnv)
	}
	return os.WriteFile("/proc/self/oom_score_adj", []byte(env), 0)
}

func oomEnv() []string {
	if v := os.Getenv(oomScoreEnv); v != "" {
		return []string{oomScoreEnv + "=" + v}
	}
	return nil
}

// cgroupXattr is where create records the cgroup's path, on the state
// directory itself: a new file would cost an inode, and creating one is
// among the slowest steps of a create on ext4.
const cgroupXattr = "user.jinn.cgroup"

// recordCgroup records the cgroup's parent and path before create makes
// it, so that a delete after a create killed midway (no state yet) finds
// and removes it. Where the file system has no user xattrs, the record is
// the state's temporary file holding only cgroup_path and cgroup_parent
// (save overwrites it in place). The xattr holds "parent\npath", split at
// the first newline: the parent is jinn's own setting, the path may hold
// anything a config.json gave it.
func recordCgroup(dir, parent, path string) error {
	if unix.Setxattr(dir, cgroupXattr, []byte(parent+"\n"+path), 0) == nil {
		return nil
	}
	rec := State{Cgroup: path, CgroupParent: parent}
	if err := atomicfile.WriteFile(filepath.Join(dir, "."+stateFile), rec.marshal(), 0o600); err != nil {
		return fmt.Errorf("record cgroup path: %w", err)
	}
	return nil
}

// recordedCgroup reads what recordCgroup wrote: the parent and the path,
// or "" for both.
func recordedCgroup(dir string) (parent, path string) {
	buf := make([]byte, 2*unix.PathMax)
	if n, err := unix.Getxattr(dir, cgroupXattr, buf); err == nil {
		parent, path, ok := strings.Cut(string(buf[:n]), "\n")
		if !ok { // recorded by an older version: the path alone
			return cgroups.DefaultParent, parent
		}
		return parent, path
	}
	var rec State
	if b, err := os.ReadFile(filepath.Join(dir, "."+stateFile)); err == nil && json.Unmarshal(b, &rec) == nil {
		if rec.CgroupParent == "" {
			rec.CgroupParent = cgroups.DefaultParent
		}
		return rec.CgroupParent, rec.Cgroup
	}
	return "", ""
}

// destroyOrphanCgroup removes the cgroup of a create that died before it
// wrote the state.
func (r *Runtime) destroyOrphanCgroup(id string) error {
	parent, cg := recordedCgroup(filepath.Join(r.Root, id))
	if cg == "" {
		return nil
	}
	mgr, err := cgroups.New(cgroups.Config{Path: "/" + cg, Name: id, Parent: parent})
	if err != nil {
		return fmt.Errorf("cgroup of %s: %w", id, err)
	}
	if err := mgr.Destroy(); err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	return nil
}

// OOMWatch is for a caller that watches its containers' OOM kills itself
// (the shim): notify sends each time the kernel reports one, kills counts
// them (so that an OOM kill of the init is known at its exit without
// waiting for the notification). c is a container just created (or
// loaded).
func (r *Runtime) OOMWatch(ctx context.Context, c *Container) (notify <-chan struct{}, kills func() (uint64, error), err error) {
	mgr, err := r.cgroup(c)
	if err != nil {
		return nil, nil, err
	}
	if mgr == nil {
		return nil, nil, fmt.Errorf("container %s has no cgroup", c.State.ID)
	}
	if notify, err = mgr.NotifyOOM(ctx); err != nil {
		return nil, nil, err
	}
	return notify, mgr.OOMKills, nil
}
