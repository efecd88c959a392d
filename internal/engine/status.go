package engine

import (
	"github.com/jinn-containers/jinn/internal/monitor"
)

// liveState is the container's state as it truly is: if the monitor died,
// the runtime is asked, so ps never reports a dead container as running.
func (e *Local) liveState(c *Container) *monitor.State {
	st, err := monitor.ReadState(e.stateDir(c.ID))
	if err != nil || st.Status == "" {
		return &monitor.State{Status: "created"}
	}
	switch st.Status {
	case "running", "paused", "restarting", "created":
	default:
		return st
	}
	if st.MonitorPid == 0 || monitor.Alive(st.MonitorPid, st.MonitorStart) {
		if st.Status == "created" && st.MonitorPid == 0 {
			return st
		}
		if st.MonitorPid != 0 {
			return st
		}
	}
	// The monitor is gone: the runtime knows whether the container lives.
	os, err := e.runtimeFor(c).State(c.ID)
	if err != nil {
		st.Status, st.Pid = "exited", 0
		if st.ExitCode == 0 {
			st.ExitCode = 255
		}
		st.Error = "monitor died"
		return st
	}
	switch os.Status {
	case "running":
		st.Status, st.Pid = "running", os.Pid
	case "paused":
		st.Status, st.Pid = "paused", os.Pid
	case "created", "creating":
		st.Status, st.Pid = "created", os.Pid
	default:
		st.Status, st.Pid = "exited", 0
		if st.ExitCode == 0 {
			st.ExitCode = 255
		}
		st.Error = "monitor died"
	}
	st.MonitorPid = 0
	return st
}

// running reports whether a state has a live container.
func running(st *monitor.State) bool {
	return st.Status == "running" || st.Status == "paused" || st.Status == "restarting"
}
