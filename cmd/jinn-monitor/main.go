// Command jinn-monitor is the per-container monitor that the jinn engine
// spawns; see internal/monitor. Usage: jinn-monitor CONFIG (sync pipe on fd 3).
package main

import (
	"os"
	"runtime"

	"github.com/jinn-containers/jinn/internal/monitor"
)

func main() {
	// One P is plenty for a process that mostly sleeps (the engine also
	// sets GOMAXPROCS=1 so the runtime starts that way); the runtimes and
	// commands it runs get the host's default again.
	runtime.GOMAXPROCS(1)
	os.Unsetenv("GOMAXPROCS")
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
