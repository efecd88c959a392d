package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/monitor"
)

// A container whose records cannot be read (its config, the engine's
// state, the runtime's state) is never hidden: ps lists it as "dead" with
// the reason in State.Error, and rm -f removes it completely. What it owns
// is named by its id alone (the directory names): its cgroup, snapshot,
// network namespace and network records, its runtime state directory and
// its name's link; its monitor is found by its pid file or in /proc.

// StatusDead is docker's state of a container that cannot be used, here
// one whose records are damaged.
const StatusDead = "dead"

// monitorPidFile records the monitor's pid and start time beside the
// state, so that a damaged state file still names it.
const monitorPidFile = "monitor.pid"

// loadContainer reads a container's config; when the container's
// directory exists but its config cannot be read, it returns what can be
// recovered from elsewhere, with Damage saying why.
func (e *Local) loadContainer(id string) (*Container, error) {
	c, err := e.readContainer(id)
	if err == nil {
		return c, nil
	}
	if _, serr := os.Stat(e.containerDir(id)); serr != nil {
		return nil, err // removed meanwhile, or never there
	}
	return e.recoverContainer(id, err), nil
}

// recoverContainer rebuilds a damaged container's identity.
func (e *Local) recoverContainer(id string, cause error) *Container {
	reason := cause.Error()
	if errors.Is(cause, os.ErrNotExist) {
		reason = "config.json is missing"
	} else if pe := (*os.PathError)(nil); !errors.As(cause, &pe) {
		reason = "config.json is damaged: " + strings.TrimPrefix(reason, "parse config of "+id+": ")
	}
	c := &Container{ID: id, Snapshot: "jinn-" + id, Damage: reason}
	if fi, err := os.Stat(e.containerDir(id)); err == nil {
		c.Created = fi.ModTime().UTC()
	}
	names := e.namesOf(id)
	if len(names) > 0 {
		c.Name = names[0]
	}
	if mc, err := monitor.ReadConfig(filepath.Join(e.stateDir(id), monitor.ConfigFile)); err == nil && mc.ID == id {
		if c.Name == "" {
			c.Name = mc.Name
		}
		c.Image, c.Runtime = mc.Image, mc.Runtime
	}
	if c.Runtime == "" {
		// The runtime that holds state for it, else the default.
		if dirs, _ := filepath.Glob(filepath.Join(e.cfg.RunRoot, "runtime", "*", id)); len(dirs) > 0 {
			c.Runtime, _ = e.resolveRuntime(filepath.Base(filepath.Dir(dirs[0])))
		}
		if c.Runtime == "" {
			c.Runtime, _ = e.resolveRuntime("")
		}
	}
	c.LogPath = filepath.Join(e.containerDir(id), id+"-json.log")
	return c
}

// namesOf lists the names that link to id.
func (e *Local) namesOf(id string) []string {
	ents, _ := os.ReadDir(e.namesDir())
	var out []string
	for _, d := range ents {
		if t, err := os.Readlink(filepath.Join(e.namesDir(), d.Name())); err == nil && t == id {
			out = append(out, d.Name())
		}
	}
	return out
}

// stateDamage says what is wrong with the records liveState reads, or "".
// st and err are ReadState's.
func (e *Local) stateDamage(c *Container, st *monitor.State, err error) string {
	if c.Damage != "" {
		return c.Damage
	}
	if err != nil {
		return "engine state: " + err.Error()
	}
	if st.Status == "" {
		// No state file: a container never started has none, one that
		// was started (its monitor's config is there) must.
		if _, err := os.Stat(filepath.Join(e.stateDir(c.ID), monitor.ConfigFile)); err == nil {
			return "engine state: " + monitor.StateFile + " is missing"
		}
		return ""
	}
	switch st.Status {
	case "running", "paused":
		if st.MonitorPid != 0 && st.Pid != 0 && monitor.Alive(st.MonitorPid, st.MonitorStart) {
			return e.runtimeStateDamage(c, true)
		}
	case "exited":
		return e.runtimeStateDamage(c, false)
	}
	return ""
}

// runtimeStateDamage checks the OCI runtime's record of the container
// without running the runtime (ps must stay cheap): runc and jinn-runtime
// keep state.json, crun keeps status, in the container's directory under
// the runtime's root. A running container must have a readable one; an
// exited one has none unless a delete failed, and then it must be whole.
func (e *Local) runtimeStateDamage(c *Container, mustExist bool) string {
	dir := filepath.Join(e.runtimeRoot(c.Runtime), c.ID)
	if _, err := os.Stat(dir); err != nil {
		if mustExist {
			return "runtime state: " + dir + " is missing"
		}
		return ""
	}
	for _, name := range []string{"state.json", "status"} {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		switch {
		case err != nil:
			return "runtime state: " + err.Error()
		case len(bytes.TrimSpace(b)) == 0:
			return "runtime state: " + p + " is empty"
		case !json.Valid(b):
			return "runtime state: " + p + " is damaged (not valid JSON)"
		}
		return ""
	}
	if mustExist {
		return "runtime state: " + dir + " has no state file"
	}
	return "" // a create that died before writing it: delete handles that
}

// deadState is the state shown for a damaged container: what of the
// engine's state is readable, with status dead and the reason.
func (e *Local) deadState(c *Container, st *monitor.State, reason string) *monitor.State {
	out := &monitor.State{Status: StatusDead, Error: reason}
	if st != nil {
		out.StartedAt, out.FinishedAt, out.ExitCode, out.RestartCount = st.StartedAt, st.FinishedAt, st.ExitCode, st.RestartCount
	}
	if pids := e.cgroupPids(c); len(pids) > 0 {
		out.Pid = pids[0]
	}
	return out
}

func (e *Local) cgroupOf(c *Container) (cgroups.Manager, error) {
	l, err := e.cgroupLayout()
	if err != nil {
		return nil, err
	}
	p := e.parentOf(c)
	return cgroups.New(cgroups.Config{Path: "/" + p + "/" + c.ID, Parent: p, Layout: l})
}

// cgroupPids lists the processes in the container's cgroup.
func (e *Local) cgroupPids(c *Container) []int {
	m, err := e.cgroupOf(c)
	if err != nil || !m.Exists() {
		return nil
	}
	pids, _ := m.Pids()
	return pids
}

// deadErr refuses an operation on a dead container, saying why.
func deadErr(c *Container, st *monitor.State, what string) error {
	return exitErr(ExitEngine, "cannot %s container %s: its records are damaged (%s); `jinn rm -f %s` removes it", what, c.Name, st.Error, c.Name)
}

// writeMonitorPid records a monitor for killDead.
func (e *Local) writeMonitorPid(id string, pid int) {
	atomicfile.WriteFile(filepath.Join(e.stateDir(id), monitorPidFile),
		[]byte(strconv.Itoa(pid)+" "+strconv.FormatUint(monitor.ProcStart(pid), 10)+"\n"), 0o600)
}

// readMonitorPid reads the monitor's pid file: 0 if there is none.
func (e *Local) readMonitorPid(id string) (int, uint64) {
	b, err := os.ReadFile(filepath.Join(e.stateDir(id), monitorPidFile))
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0
	}
	pid, _ := strconv.Atoi(f[0])
	start, _ := strconv.ParseUint(f[1], 10, 64)
	if start == 0 {
		return 0, 0
	}
	return pid, start
}

// monitorPids finds the container's live monitors: by the state, by the
// pid file, and, when both are damaged, by its command line in /proc.
func (e *Local) monitorPids(id string) []int {
	var out []int
	add := func(pid int, start uint64) {
		if monitor.Alive(pid, start) {
			for _, p := range out {
				if p == pid {
					return
				}
			}
			out = append(out, pid)
		}
	}
	if st, err := monitor.ReadState(e.stateDir(id)); err == nil {
		add(st.MonitorPid, st.MonitorStart)
	}
	add(e.readMonitorPid(id))
	// jinn-monitor's argv is its config's path, which holds the id.
	want := []byte(filepath.Join(e.stateDir(id), monitor.ConfigFile) + "\x00")
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile("/proc/" + p.Name() + "/cmdline"); err == nil && bytes.HasSuffix(b, want) {
			add(pid, 0)
		}
	}
	return out
}

// killDead ends every process of a damaged container without trusting
// its records: its monitor first (so nothing restarts it or races the
// removal), then everything in its cgroup. It says what it could not do.
func (e *Local) killDead(c *Container) error {
	e.markStopped(c)
	for _, pid := range e.monitorPids(c.ID) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	e.runtimeFor(c).Kill(c.ID, "KILL", true) // works if only the engine's records are damaged
	m, err := e.cgroupOf(c)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for m.Exists() {
		if err := m.Kill(); err != nil {
			return err
		}
		if pids, err := m.Pids(); err == nil && len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("its processes survive SIGKILL")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, pid := range e.monitorPids(c.ID) {
		if !waitGone(pid, 2*time.Second) {
			return errors.New("its monitor survives SIGKILL")
		}
	}
	return nil
}

// killUnwatched signals a container that no runtime can reach (its
// monitor died, the runtime's state is lost; liveState found it in its
// cgroup): SIGKILL ends everything there as stop does, another signal
// goes to its init, the process that is pid 1 of its own namespace.
func (e *Local) killUnwatched(c *Container, sig string) error {
	n, _ := signalNumber(sig)
	if n == int(syscall.SIGKILL) {
		if err := e.killDead(c); err != nil {
			return exitErr(ExitEngine, "cannot kill container %s: %v", c.Name, err)
		}
		return nil
	}
	for _, pid := range e.cgroupPids(c) {
		if nsInit(pid) {
			if err := syscall.Kill(pid, syscall.Signal(n)); err != nil {
				return exitErr(ExitEngine, "cannot kill container %s: %v", c.Name, err)
			}
			return nil
		}
	}
	return exitErr(ExitEngine, "cannot kill container %s: its init is not found in its cgroup", c.Name)
}

// nsInit says whether pid is pid 1 of a pid namespace below the host's
// (the last NSpid field of its status).
func nsInit(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "NSpid:" {
			return f[len(f)-1] == "1"
		}
	}
	return false
}

func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for monitor.Alive(pid, 0) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// removeDead removes what the runtime's delete would have, had it been
// able to read its state: the container's cgroups and the runtime's state
// directories (every runtime root's, the runtime may be unknown).
func (e *Local) removeDead(c *Container) error {
	e.runtimeFor(c).Delete(c.ID)
	if m, err := e.cgroupOf(c); err == nil {
		if err := m.Destroy(); err != nil {
			return err
		}
	}
	// Named hierarchies too (runc makes the cgroup in name=systemd).
	if l, err := e.cgroupLayout(); err == nil {
		for _, mnt := range l.Mounts {
			syscall.Rmdir(filepath.Join(mnt, e.parentOf(c), c.ID))
		}
	}
	return e.removeRuntimeDirs(c.ID)
}

// removeRuntimeDirs removes what a runtime's delete left of a container
// that no longer runs: a state directory without (readable) state, which
// jinn-runtime's and crun's delete do not remove.
func (e *Local) removeRuntimeDirs(id string) error {
	pattern := filepath.Join(e.cfg.RunRoot, "runtime", "*", id)
	// The replay globs as this does: whether the runtime's delete left
	// anything differs from run to run.
	e.rec().Op("rmglob", pattern)
	dirs, _ := filepath.Glob(pattern)
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}

// removeDamaged is Remove of a dead container: its processes (if any) need
// force, as a running container's do; then everything it owns goes.
func (e *Local) removeDamaged(c *Container, st *monitor.State, force, volumes bool) error {
	if !force && (len(e.cgroupPids(c)) > 0 || len(e.monitorPids(c.ID)) > 0) {
		return exitErr(ExitEngine, "cannot remove container \"/%s\": its records are damaged (%s) and its processes still run: force remove", c.Name, st.Error)
	}
	if err := e.killDead(c); err != nil {
		return exitErr(ExitEngine, "remove %s: %v", c.Name, err)
	}
	if err := e.removeDead(c); err != nil {
		return exitErr(ExitEngine, "remove %s: %v", c.Name, err)
	}
	e.cleanup(c, volumes)
	e.event(c, "destroy")
	return nil
}

// pruneSnapshots removes container snapshots that no container owns: a
// container removed while its layer could not be (a damaged index), or
// whose records were lost. A container's directory exists before its
// snapshot is made and goes after it is removed, so there is no race.
func (e *Local) pruneSnapshots() {
	snaps, err := e.images.ContainerSnapshots()
	if err != nil {
		return
	}
	for _, sn := range snaps {
		k := sn.Key
		id, ok := strings.CutPrefix(k, "jinn-")
		if !ok || len(id) != 64 {
			continue
		}
		if _, err := os.Stat(e.containerDir(id)); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		if _, err := os.Stat(filepath.Join(e.cfg.Root, "containers", ".new-"+id)); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		e.cleanup(&Container{ID: id, Snapshot: k}, false)
	}
	// A create killed inside Prepare leaves a directory no snapshot names.
	e.images.Sweep()
}
