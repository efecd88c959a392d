package engine

import (
	"github.com/jinn-containers/jinn/internal/monitor"
)

// errMonitorDied is a state's Error when the container's monitor is gone:
// nothing watches it, and the runtime's state may be gone too.
const errMonitorDied = "monitor died"

// liveState is the container's state as it truly is: if the monitor died,
// the runtime is asked (and, if it knows nothing, the cgroup), so ps never
// reports a dead container as running, nor a running one as exited.
func (e *Local) liveState(c *Container) *monitor.State {
	st, err := monitor.ReadState(e.stateDir(c.ID))
	if why := e.stateDamage(c, st, err); why != "" {
		return e.deadState(c, st, why)
	}
	if st.Status == "" {
		if e.hasRun(c.ID) {
			// Its run root is gone (a reboot) or was never written.
			return &monitor.State{Status: monitor.StatusExited, ExitCode: 255}
		}
		return &monitor.State{Status: monitor.StatusCreated}
	}
	switch st.Status {
	case monitor.StatusRunning, monitor.StatusPaused, monitor.StatusRestarting, monitor.StatusCreated:
	default:
		return st
	}
	if st.MonitorPid == 0 || monitor.Alive(st.MonitorPid, st.MonitorStart) {
		if st.Status == monitor.StatusCreated && st.MonitorPid == 0 {
			return st
		}
		if st.MonitorPid != 0 {
			return st
		}
	}
	// The monitor is gone: the runtime knows whether the container lives.
	os, err := e.runtimeFor(c).State(c.ID)
	if err != nil {
		// Nor does the runtime (its state lost): the cgroup does. A
		// container still in it runs, unwatched, and needs stop or
		// rm -f, which end it through the cgroup (killDead).
		if pids := e.cgroupPids(c); len(pids) > 0 {
			st.Status, st.Pid, st.MonitorPid = monitor.StatusRunning, pids[0], 0
			st.Error = errMonitorDied
			return st
		}
		st.Status, st.Pid = monitor.StatusExited, 0
		if st.ExitCode == 0 {
			st.ExitCode = 255
		}
		st.Error = errMonitorDied
		return st
	}
	switch os.Status {
	case "running":
		st.Status, st.Pid = monitor.StatusRunning, os.Pid
	case "paused":
		st.Status, st.Pid = monitor.StatusPaused, os.Pid
	case "created", "creating":
		st.Status, st.Pid = monitor.StatusCreated, os.Pid
	default:
		st.Status, st.Pid = monitor.StatusExited, 0
		if st.ExitCode == 0 {
			st.ExitCode = 255
		}
		st.Error = errMonitorDied
	}
	st.MonitorPid = 0
	return st
}

// running reports whether a state has a live container.
func running(st *monitor.State) bool {
	return st.Status == monitor.StatusRunning || st.Status == monitor.StatusPaused || st.Status == monitor.StatusRestarting
}
