package engine

import (
	"os"
	"path/filepath"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// MonitorEnv forces a monitor for every container: "go" the Go monitor,
// "c" the C monitor wherever it can serve (the default).
const MonitorEnv = "JINN_MONITOR"

// monitorBinary picks a container's monitor; the one place that decides.
//
// jinn-monitor-c (cmd/jinn-monitor-c) is a single-threaded C program: a
// Go monitor per container costs ~720 KiB of PSS (an empty Go program is
// already 528 KiB of anonymous memory), the C one 64-71 KiB, conmon
// 335-352 (BENCHMARKS.md, density). It does all the Go monitor does (stdio,
// json-file log with rotation, state and events, attach with tty and
// resize, restart policies, --rm, the start-up protocol) except health
// checks, which run `runtime exec` on timers and keep a health log: those
// containers get jinn-monitor. So does every container when the C monitor
// was not built (no C compiler) or JINN_MONITOR=go.
func (e *Local) monitorBinary(mc *monitor.Config) string {
	if mc.Health != nil || os.Getenv(MonitorEnv) == "go" {
		return e.cfg.Monitor
	}
	cmon := filepath.Join(filepath.Dir(e.cfg.Monitor), "jinn-monitor-c")
	if _, err := os.Stat(cmon); err != nil {
		return e.cfg.Monitor
	}
	return cmon
}
