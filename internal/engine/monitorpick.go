package engine

import (
	"os"
	"path/filepath"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// MonitorEnv picks the monitor of every container started: "go" the Go
// monitor (cmd/jinn-monitor), anything else the C one where it was built.
const MonitorEnv = "JINN_MONITOR"

// monitorBinary picks a container's monitor; the one place that decides.
//
// jinn-monitor-c (cmd/jinn-monitor-c) is a single-threaded C program: a
// Go monitor per container costs ~720 KiB of PSS (an empty Go program is
// already 528 KiB of anonymous memory), the C one 64-71 KiB, conmon
// 335-352 (BENCHMARKS.md, density). It does all the Go monitor does
// (stdio, json-file log with rotation, state and events, attach with tty
// and resize, restart policies, health checks, --rm, the start-up
// protocol), so every container gets it; the Go monitor, the reference
// implementation of those protocols, stays the fallback: when the C
// monitor was not built (no C compiler) or JINN_MONITOR=go.
func (e *Local) monitorBinary(mc *monitor.Config) string {
	if os.Getenv(MonitorEnv) == "go" {
		return e.cfg.Monitor
	}
	cmon := filepath.Join(filepath.Dir(e.cfg.Monitor), "jinn-monitor-c")
	if _, err := os.Stat(cmon); err != nil {
		return e.cfg.Monitor
	}
	return cmon
}
