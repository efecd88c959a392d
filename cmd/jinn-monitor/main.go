// Command jinn-monitor is the per-container monitor that the jinn engine
// spawns; see internal/monitor. Usage: jinn-monitor CONFIG (sync pipe on fd 3).
package main

import (
	"os"
	"runtime"
	"runtime/debug"

	"github.com/jinn-containers/jinn/internal/monitor"
)

func main() {
	// The monitor lives as long as its container: keep the heap small.
	debug.SetGCPercent(20)
	// One P is plenty for a process that mostly sleeps; it also means
	// fewer runtime threads and stacks.
	runtime.GOMAXPROCS(1)
	if len(os.Args) != 2 {
		os.Stderr.WriteString("usage: jinn-monitor CONFIG\n")
		os.Exit(2)
	}
	cfg, err := monitor.ReadConfig(os.Args[1])
	if err != nil {
		os.Stderr.WriteString("jinn-monitor: " + err.Error() + "\n")
		os.Exit(1)
	}
	sync := os.NewFile(3, "sync")
	if _, err := sync.Stat(); err != nil {
		sync = nil
	}
	os.Exit(monitor.Run(cfg, sync))
}
