package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/monitor"
	"github.com/jinn-containers/jinn/internal/recipe"
)

// waitExit polls until the container no longer runs or d passes.
func (e *Local) waitExit(c *Container, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		st := e.liveState(c)
		if !running(st) && !(st.Status == monitor.StatusCreated && st.MonitorPid != 0) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitMonitor waits until the container's monitor has finished: its
// state says so and its process is gone (it clears MonitorPid before its
// network teardown, which must not race what the caller does next). A
// monitor that is our parent (--rm's cleanup) is not waited for.
func (e *Local) waitMonitor(c *Container, d time.Duration) bool {
	deadline := time.Now().Add(d)
	pid, start := e.readMonitorPid(c.ID)
	for {
		st, err := monitor.ReadState(e.stateDir(c.ID))
		done := err != nil || st.MonitorPid == 0 || !monitor.Alive(st.MonitorPid, st.MonitorStart)
		if done && (pid == 0 || pid == os.Getppid() || !monitor.Alive(pid, start)) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killUntilExit sends SIGKILL to every process of the container until it
// has exited or d passes. Once is not enough: a monitor whose CLI was
// killed may still be running the runtime's create, so the first kill
// finds no container (or one not yet in its cgroup) and the init lives on.
func (e *Local) killUntilExit(c *Container, rt *recipe.Runtime, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		rt.Kill(c.ID, "KILL", true)
		if e.waitExit(c, 100*time.Millisecond) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// Stop sends the stop signal, then SIGKILL after the timeout.
func (e *Local) Stop(ctx context.Context, ref string, timeout *int) error {
	return e.StopWith(ctx, ref, "", timeout)
}

// StopWith is Stop with a signal other than the container's stop signal
// (stop -s); "" is the container's.
func (e *Local) StopWith(ctx context.Context, ref, signal string, timeout *int) error {
	if signal != "" {
		if _, ok := signalNumber(signal); !ok {
			return invalid("Invalid signal: %s", signal)
		}
	}
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	st := e.liveState(c)
	if st.Status == StatusDead {
		return deadErr(c, st, "stop")
	}
	e.markStopped(c)
	if !running(st) && !(st.Status == monitor.StatusCreated && st.MonitorPid != 0) {
		return nil
	}
	if st.Error == errMonitorDied {
		// Unwatched with the runtime's state lost (liveState found it in
		// its cgroup): no runtime can signal it; SIGKILL through the
		// cgroup is what is left.
		e.killEvent(c, "KILL")
		if err := e.killDead(c); err != nil {
			return exitErr(ExitEngine, "cannot stop container %s: %v", c.Name, err)
		}
		e.event(c, "stop")
		return nil
	}
	rt := e.runtimeFor(c)
	if st.Status == monitor.StatusPaused {
		rt.Resume(c.ID)
	}
	t := 10
	if c.Config.StopTimeout != nil {
		t = *c.Config.StopTimeout
	}
	if timeout != nil {
		t = *timeout
	}
	sig := c.Config.StopSignal
	if signal != "" {
		sig = signal
	}
	if sig == "" {
		sig = "TERM"
	}
	if t != 0 {
		e.killEvent(c, sig)
		if err := rt.Kill(c.ID, normSignal(sig), false); err == nil && e.waitExit(c, time.Duration(t)*time.Second) {
			e.waitMonitor(c, 5*time.Second)
			e.event(c, "stop")
			return nil
		}
	}
	e.killEvent(c, "KILL")
	if !e.killUntilExit(c, rt, 10*time.Second) {
		return exitErr(ExitEngine, "cannot stop container %s: still running after SIGKILL", c.Name)
	}
	e.waitMonitor(c, 5*time.Second)
	e.event(c, "stop")
	return nil
}

func normSignal(s string) string {
	s = strings.ToUpper(strings.TrimPrefix(strings.ToUpper(s), "SIG"))
	return s
}

// Kill sends a signal to the container's init.
func (e *Local) Kill(ctx context.Context, ref, sig string) error {
	// sig-proxy's kill during a recorded run: not a step of the run.
	e.rec().Refuse("a signal passed on")
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	st := e.liveState(c)
	if st.Status == StatusDead {
		return deadErr(c, st, "kill")
	}
	if !running(st) {
		return exitErr(ExitEngine, "Cannot kill container: %s: Container %s is not running", ref, c.ID)
	}
	if sig == "" {
		sig = "KILL"
	}
	if _, ok := signalNumber(sig); !ok {
		return invalid("Invalid signal: %s", sig)
	}
	sig = normSignal(sig)
	if sig == "KILL" || sig == "9" {
		e.markStopped(c)
	}
	// Recorded before the signal so that it comes before the monitor's "die".
	e.killEvent(c, sig)
	if st.Error == errMonitorDied {
		return e.killUnwatched(c, sig)
	}
	if err := e.runtimeFor(c).Kill(c.ID, sig, false); err != nil {
		return &ExitError{Code: ExitEngine, Err: err}
	}
	return nil
}

// Restart stops the container if it runs (StopWith's signal and
// timeout), starts it again and records docker's "restart" event.
func (e *Local) Restart(ctx context.Context, ref, signal string, timeout *int) error {
	if err := e.StopWith(ctx, ref, signal, timeout); err != nil {
		return err
	}
	if _, err := e.Start(ctx, ref, nil); err != nil {
		return err
	}
	if c, err := e.Lookup(ref); err == nil {
		e.event(c, "restart")
	}
	return nil
}

// Wait blocks until the container stops and returns its exit code.
func (e *Local) Wait(ctx context.Context, ref string) (int, error) {
	c, err := e.Lookup(ref)
	if err != nil {
		return 0, err
	}
	for {
		st := e.liveState(c)
		if st.Status == monitor.StatusExited || (st.Status == monitor.StatusCreated && st.MonitorPid == 0 && !st.FinishedAt.IsZero()) {
			e.waitMonitor(c, 5*time.Second)
			st = e.liveState(c)
			return st.ExitCode, nil
		}
		if _, err := os.Stat(e.containerDir(c.ID)); err != nil {
			return 0, nil // removed (--rm)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Pause freezes the container through the runtime's pause.
func (e *Local) Pause(ctx context.Context, ref string) error {
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	st := e.liveState(c)
	if st.Status == monitor.StatusPaused {
		return exitErr(ExitEngine, "Container %s is already paused", c.ID)
	}
	if st.Status != monitor.StatusRunning {
		return exitErr(ExitEngine, "Container %s is not running", c.ID)
	}
	if err := e.runtimeFor(c).Pause(c.ID); err != nil {
		return &ExitError{Code: ExitEngine, Err: err}
	}
	monitor.UpdateState(e.stateDir(c.ID), func(s *monitor.State) {
		if s.Status == monitor.StatusRunning {
			s.Status = monitor.StatusPaused
		}
	})
	e.event(c, "pause")
	return nil
}

// Unpause thaws a paused container.
func (e *Local) Unpause(ctx context.Context, ref string) error {
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	if st := e.liveState(c); st.Status != monitor.StatusPaused {
		return exitErr(ExitEngine, "Container %s is not paused", c.ID)
	}
	if err := e.runtimeFor(c).Resume(c.ID); err != nil {
		return &ExitError{Code: ExitEngine, Err: err}
	}
	monitor.UpdateState(e.stateDir(c.ID), func(s *monitor.State) {
		if s.Status == monitor.StatusPaused {
			s.Status = monitor.StatusRunning
		}
	})
	e.event(c, "unpause")
	return nil
}

// Rename gives a container a new name.
func (e *Local) Rename(ctx context.Context, ref, name string) error {
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	name = strings.TrimPrefix(name, "/")
	if err := checkName("container", name); err != nil {
		return &ExitError{Code: ExitEngine, Err: err}
	}
	if name == c.Name {
		return exitErr(ExitEngine, "Error when allocating new name: Renaming a container with the same name as its current name")
	}
	unlock, err := monitor.Lock(e.stateDir(c.ID))
	if err != nil {
		return err
	}
	defer unlock()
	if err := e.reserveName(name, c.ID); err != nil {
		return err
	}
	old := c.Name
	c.Name = name
	if err := e.writeContainer(c); err != nil {
		e.releaseName(name, c.ID)
		return err
	}
	e.releaseName(old, c.ID)
	e.event(c, "rename")
	return nil
}

// Remove removes a container; force kills it first. Whatever state a killed
// CLI or monitor left, Remove(force) cleans it up.
func (e *Local) Remove(ctx context.Context, ref string, force, volumes bool) error {
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	st := e.liveState(c)
	if st.Status == StatusDead {
		return e.removeDamaged(c, st, force, volumes)
	}
	live := running(st) || (st.Status == monitor.StatusCreated && st.MonitorPid != 0)
	if live && !force {
		if st.Status == monitor.StatusPaused {
			return exitErr(ExitEngine, "cannot remove container \"/%s\": container is paused and must be unpaused first", c.Name)
		}
		return exitErr(ExitEngine, "cannot remove container \"/%s\": container is running: stop the container before removing or force remove", c.Name)
	}
	rt := e.runtimeFor(c)
	if live {
		e.markStopped(c)
		if st.Status == monitor.StatusPaused {
			rt.Resume(c.ID)
		}
		// Unwatched with the runtime's state lost (liveState found it in
		// its cgroup): the runtime cannot end it, the cgroup can.
		if st.Error == errMonitorDied || !e.killUntilExit(c, rt, 5*time.Second) {
			// The runtime cannot end it (its binary gone, its state
			// damaged): end it through its cgroup, or say it lives on.
			if err := e.killDead(c); err != nil {
				return exitErr(ExitEngine, "remove %s: %v", c.Name, err)
			}
		}
		if !e.waitMonitor(c, 5*time.Second) {
			e.endMonitors(c.ID) // a stuck monitor: it is ours
		}
	}
	if _, err := os.Stat(e.containerDir(c.ID)); errors.Is(err, os.ErrNotExist) {
		return nil // its monitor removed it (--rm)
	}
	if own, _ := monitor.ReadState(e.stateDir(c.ID)); own != nil && own.Deleted {
		// The monitor already deleted it from the runtime.
	} else if st.Error == errMonitorDied {
		// Unwatched: the runtime's delete may know nothing of it (its
		// state lost), so its cgroup goes through ours as well.
		if err := e.removeDead(c); err != nil {
			return exitErr(ExitEngine, "remove %s: %v", c.Name, err)
		}
	} else if err := rt.Delete(c.ID); err != nil {
		if s, serr := rt.State(c.ID); serr == nil && s.Status != "stopped" {
			return exitErr(ExitEngine, "remove %s: %v", c.Name, err)
		}
		// Gone from the runtime or the runtime unusable: remove what its
		// delete would have (cgroups, its state).
		if err := e.removeDead(c); err != nil {
			return exitErr(ExitEngine, "remove %s: %v", c.Name, err)
		}
	}
	e.cleanup(c, volumes)
	e.event(c, "destroy")
	return nil
}

// cleanup removes everything a container owns; every step is idempotent.
func (e *Local) cleanup(c *Container, volumes bool) {
	netDone := e.removeNetnsMeanwhile(c)
	e.unmountRootfs(c)
	if c.Snapshot != "" {
		e.images.Remove(c.Snapshot)
	}
	netDone()
	e.removeRuntimeDirs(c.ID)
	if volumes {
		e.removeAnonVolumes(c)
	}
	os.RemoveAll(e.stateDir(c.ID))
	e.removeRecords(c)
	e.removeEmptyParentCgroup(c)
}

// cleanupRecords is the part of cleanup that the runtime's delete does not
// touch (mounts, snapshot, network, volumes, the container's directory and
// names), for a --rm container whose monitor runs the delete meanwhile;
// cleanupState does the rest once it is done. Killed in between, it
// leaves a state directory without its container, which prune removes.
// The network's teardown is still running when it returns: netDone waits
// for it.
//
// The snapshot and the records go side by side: each removal waits on
// the disk (a file system mounted with discard waits for the device at
// every freed block), and either left alone by a kill is found by prune
// (a state directory without its container: prune's cleanup unmounts its
// root filesystem). The rootfs's unmount, which waits for an RCU grace
// period (namespace_unlock), goes before the snapshot's removal only;
// unmounted, if not nil, is unmountRunning's, begun while the container ran.
func (e *Local) cleanupRecords(c *Container, volumes bool, unmounted <-chan struct{}) (netDone func()) {
	netDone = e.removeNetnsMeanwhile(c)
	snapDone := e.background(func() {
		if unmounted != nil {
			<-unmounted
		}
		e.unmountRootfs(c)
		if c.Snapshot != "" {
			e.images.Remove(c.Snapshot)
		}
	})
	if volumes {
		e.removeAnonVolumes(c)
	}
	e.removeRecords(c)
	<-snapDone
	return netDone
}

// removeNetnsMeanwhile starts removeNetns and returns a wait for it. What
// it waits for is the kernel's (a veth's deletion waits for an
// rcu_barrier, a rule change for nf_tables' cleanup, the namespace's
// unmount for a grace period), so it overlaps the rest of a cleanup: the
// rootfs's unmount, the snapshot's removal and the runtime's delete.
func (e *Local) removeNetnsMeanwhile(c *Container) (wait func()) {
	done := e.background(func() { e.removeNetns(c) })
	return func() { <-done }
}

// cleanupState removes the container's state directory (and, with
// runtimeDirs, the runtime's) and jinn's empty parent cgroups, the two
// side by side: the parents' rmdirs need only the container's records
// gone and the runtime's delete done, which the caller saw.
func (e *Local) cleanupState(c *Container, runtimeDirs bool) {
	if runtimeDirs {
		e.removeRuntimeDirs(c.ID)
	}
	parents := e.background(func() { e.removeEmptyParentCgroup(c) })
	e.rec().Op("rmtree", e.stateDir(c.ID))
	os.RemoveAll(e.stateDir(c.ID))
	<-parents
}

func (e *Local) removeAnonVolumes(c *Container) {
	for _, m := range c.Mounts {
		if m.Type == "volume" && m.Anonymous {
			e.vols.Remove(m.Name, true)
		}
	}
}

// removeRecords takes the container out of ps's sight at once (a
// directory without its config would be listed as a damaged container
// while RemoveAll runs), then its names and directory.
func (e *Local) removeRecords(c *Container) {
	// The names go before the directory: a remove killed in between
	// leaves a .removing- directory, which prune finishes, names and all.
	gone := filepath.Join(e.cfg.Root, "containers", ".removing-"+c.ID)
	renamed := os.Rename(e.containerDir(c.ID), gone) == nil
	if !renamed {
		e.rec().Refuse("the container directory was not there to remove")
	}
	e.rec().Op("rename", e.containerDir(c.ID), gone)
	if c.Name != "" {
		// releaseName: only while the name is still this container's.
		e.rec().Op("unname", c.ID, filepath.Join(e.namesDir(), c.Name))
		e.releaseName(c.Name, c.ID)
	}
	e.rec().Op("rmtree", gone)
	if c.Damage != "" {
		for _, n := range e.namesOf(c.ID) {
			e.releaseName(n, c.ID)
		}
	}
	if renamed {
		os.RemoveAll(gone)
	} else {
		os.RemoveAll(e.containerDir(c.ID))
	}
}

// removeEmptyParentCgroup: the last container takes jinn's empty parent
// cgroups with it (a container being made has its directory already, so
// it is not last); a container's own --cgroup-parent goes when empty.
func (e *Local) removeEmptyParentCgroup(c *Container) {
	l, err := e.cgroupLayout()
	if err != nil {
		return
	}
	if r := e.rec(); r != nil {
		// The replay: when the store holds no container (ids' rule: a
		// directory of a 64-byte name), rmdir the parent on each
		// hierarchy, as RemoveEmptyParentOn does.
		dirs := []any{filepath.Join(e.cfg.Root, "containers")}
		if p := e.cgroupParent(); p != "" && path.Clean("/"+p) != "/" {
			for _, mnt := range l.Mounts {
				dirs = append(dirs, filepath.Join(mnt, p))
			}
		}
		// The hierarchies (here and in the monitor's OOM files): the
		// plan holds while each is the mount it was.
		for _, mnt := range l.Mounts {
			r.KeyStat(mnt)
		}
		r.Op("rmparent", dirs...)
		if c.Host.CgroupParent != "" {
			r.Refuse("a --cgroup-parent of its own")
		}
	}
	if ids, err := e.ids(); err == nil && len(ids) == 0 {
		cgroups.RemoveEmptyParentOn(l, e.cgroupParent())
	}
	if c.Host.CgroupParent != "" {
		cgroups.RemoveEmptyParentOn(l, e.parentOf(c)) // only if no other container is in it
	}
}

// Top lists the container's processes.
func (e *Local) Top(ctx context.Context, ref string) ([]int, error) {
	c, err := e.Lookup(ref)
	if err != nil {
		return nil, err
	}
	if st := e.liveState(c); !running(st) {
		return nil, exitErr(ExitEngine, "Container %s is not running", c.ID)
	}
	pids, err := e.runtimeFor(c).Ps(c.ID)
	if err != nil {
		return nil, &ExitError{Code: ExitEngine, Err: err}
	}
	return pids, nil
}

// Prune removes every stopped container and what killed CLIs left behind.
func (e *Local) Prune(ctx context.Context) ([]string, error) { return e.PruneWhere(ctx, nil) }

// PruneWhere removes the stopped containers keep accepts; leftovers of
// interrupted creates and removes go whatever the filter.
func (e *Local) PruneWhere(ctx context.Context, keep func(*View) bool) ([]string, error) {
	views, err := e.list()
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, v := range views {
		if running(v.State) || (v.State.Status == monitor.StatusCreated && v.State.MonitorPid != 0) {
			continue
		}
		if v.State.Status == StatusDead && (v.State.Pid != 0 || len(e.monitorPids(v.ID)) > 0) {
			continue // damaged but running: only rm -f ends it
		}
		if keep != nil && !keep(v) {
			continue
		}
		if err := e.Remove(ctx, v.ID, true, false); err == nil {
			removed = append(removed, v.ID)
		}
	}
	// Leftovers without a config: a create killed before it wrote one.
	for _, base := range []string{filepath.Join(e.cfg.Root, "containers"), filepath.Join(e.cfg.RunRoot, "containers")} {
		ents, _ := os.ReadDir(base)
		for _, d := range ents {
			if id, ok := strings.CutPrefix(d.Name(), ".removing-"); ok {
				// A remove killed midway (config and all moved aside),
				// whatever its age: only a remove makes one, and every
				// step left is idempotent.
				os.RemoveAll(filepath.Join(base, d.Name()))
				e.cleanup(&Container{ID: id, Snapshot: "jinn-" + id, Damage: "removed midway"}, false)
				continue
			}
			if rest, ok := strings.CutPrefix(d.Name(), ".new-"); ok && strings.Contains(rest, ".") {
				// Staged by a create (.new-ID.PID): its CLI's, until it dies.
				_, pid, _ := strings.Cut(rest, ".")
				if _, err := os.Stat("/proc/" + pid); err != nil || pid == strconv.Itoa(os.Getpid()) {
					os.RemoveAll(filepath.Join(base, d.Name()))
				}
				continue
			}
			if id, ok := strings.CutPrefix(d.Name(), ".new-"); ok && creatorGone(filepath.Join(base, d.Name())) {
				// A create killed before its container appeared (its
				// name was reserved first).
				os.RemoveAll(filepath.Join(base, d.Name()))
				e.cleanup(&Container{ID: id, Snapshot: "jinn-" + id, Damage: "made midway"}, false)
				continue
			}
			if _, err := os.Stat(filepath.Join(e.containerDir(d.Name()), "config.json")); err == nil {
				continue
			}
			if _, err := os.Stat(e.containerDir(d.Name())); err == nil && len(d.Name()) == 64 {
				continue // a container whose config is damaged: listed, and removed above
			}
			if info, err := d.Info(); err == nil && time.Since(info.ModTime()) > 30*time.Second {
				if id, ok := strings.CutPrefix(d.Name(), ".new-"); ok {
					os.RemoveAll(filepath.Join(base, d.Name()))
					e.cleanup(&Container{ID: id}, false)
					continue
				}
				e.cleanup(&Container{ID: d.Name(), Snapshot: "jinn-" + d.Name()}, false)
			} else if err == nil && base == filepath.Join(e.cfg.RunRoot, "containers") {
				// A state dir whose container is gone (removed while a
				// killed CLI was still making it): nothing refers to it.
				if _, err := os.Stat(e.containerDir(d.Name())); errors.Is(err, os.ErrNotExist) {
					if _, err := os.Stat(filepath.Join(e.cfg.Root, "containers", ".new-"+d.Name())); errors.Is(err, os.ErrNotExist) {
						e.cleanup(&Container{ID: d.Name(), Snapshot: "jinn-" + d.Name()}, false)
					}
				}
			}
		}
	}
	e.pruneSnapshots()
	e.pruneCgroups()
	e.pruneNetRecords()
	ents, _ := os.ReadDir(e.namesDir())
	for _, d := range ents {
		t, err := os.Readlink(filepath.Join(e.namesDir(), d.Name()))
		if err != nil {
			continue
		}
		if !e.hasAnyDir(t) {
			// Stale at once: a create makes its .new- directory first.
			os.Remove(filepath.Join(e.namesDir(), d.Name()))
		}
	}
	return removed, nil
}

// creatorXattr, on a container directory being made (.new-ID), names the
// pid of the CLI making it: an extended attribute, not a file, so that a
// create makes one inode fewer (see ranMarker); creatorFile where the file
// system has no user xattrs, and in stores from before.
const (
	creatorXattr = "user.jinn.creator"
	creatorFile  = "creator"
)

// markCreator records this process as the creator of dir.
func markCreator(dir string) {
	pid := []byte(strconv.Itoa(os.Getpid()))
	if unix.Setxattr(dir, creatorXattr, pid, 0) != nil {
		os.WriteFile(filepath.Join(dir, creatorFile), pid, 0o600)
	}
}

// creatorGone says whether the CLI that was making a .new- container
// directory is gone (killed midway); without its pid, only age tells.
func creatorGone(dir string) bool {
	b := make([]byte, 32)
	if n, err := unix.Getxattr(dir, creatorXattr, b); err == nil {
		b = b[:n]
	} else if b, err = os.ReadFile(filepath.Join(dir, creatorFile)); err != nil {
		b = nil
	}
	if b != nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
			return err != nil || pid == os.Getpid()
		}
	}
	fi, err := os.Stat(dir)
	return err == nil && time.Since(fi.ModTime()) > 30*time.Second
}

// pruneNetRecords tears down the network (veth, address, rules) of
// containers that are gone but whose network record stayed (a CLI killed
// between the two). The records are the network package's, under the
// state directory the engine gives it (netsetup.go).
func (e *Local) pruneNetRecords() {
	dir := filepath.Join(e.cfg.Root, "network", "containers")
	ents, _ := os.ReadDir(dir)
	for _, d := range ents {
		if atomicfile.Abandoned(d.Name()) {
			os.Remove(filepath.Join(dir, d.Name()))
			continue
		}
		id, ok := strings.CutSuffix(d.Name(), ".json")
		if !ok || len(id) != 64 || e.hasAnyDir(id) {
			continue
		}
		e.removeNetns(&Container{ID: id})
	}
}

// pruneCgroups removes empty cgroups under the engine's parent whose
// container is gone (a remove killed between the runtime's state and its
// cgroup): nothing else would ever remove them.
func (e *Local) pruneCgroups() {
	for _, id := range cgroups.Children(e.cgroupParent()) {
		if len(id) != 64 {
			continue
		}
		if e.hasAnyDir(id) {
			continue
		}
		if m, err := e.containerCgroup(&Container{ID: id}); err == nil {
			if pids, err := m.Pids(); err == nil && len(pids) == 0 {
				m.Destroy()
			}
		}
	}
}

var signals = map[string]int{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
	"USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16,
	"CHLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23,
	"XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "PWR": 30, "SYS": 31,
}

func signalNumber(s string) (int, bool) {
	s = normSignal(s)
	if n, ok := signals[s]; ok {
		return n, true
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err == nil && n > 0 && n < 65 {
		return n, true
	}
	return 0, false
}
