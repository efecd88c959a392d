package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// TestMonitorBinary: the C monitor unless JINN_MONITOR=go or its absence
// asks for the Go one.
func TestMonitorBinary(t *testing.T) {
	dir := t.TempDir()
	goMon, cMon := filepath.Join(dir, "jinn-monitor"), filepath.Join(dir, "jinn-monitor-c")
	e := &Local{cfg: Config{Monitor: goMon}}
	plain, health := &monitor.Config{}, &monitor.Config{Health: &monitor.Health{Test: []string{"true"}}}
	if got := e.monitorBinary(plain); got != goMon {
		t.Errorf("without jinn-monitor-c: %s", got)
	}
	if err := os.WriteFile(cMon, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := e.monitorBinary(plain); got != cMon {
		t.Errorf("plain container: %s", got)
	}
	if got := e.monitorBinary(health); got != cMon {
		t.Errorf("health check: %s", got)
	}
	t.Setenv(MonitorEnv, "go")
	if got := e.monitorBinary(plain); got != goMon {
		t.Errorf("JINN_MONITOR=go: %s", got)
	}
}
