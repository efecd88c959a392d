// Command jinn-monitor is the per-container monitor that the jinn engine
// spawns; see internal/monitor. Usage: jinn-monitor CONFIG (sync pipe on fd 3).
package main

import (
	"os"
	"runtime"
	"runtime/debug"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// No allocation profiling: its bucket table would be the monitor's largest
// single allocation. Set in a variable initialiser, before main runs.
var _ = func() int { runtime.MemProfileRate = 0; return 0 }()

func main() {
	// One P is plenty for a process that mostly sleeps (the engine also
	// sets GOMAXPROCS=1 so the runtime starts that way). The variable stays
	// for the runtime commands it runs, its only children: each lives
	// milliseconds and starts faster with one P (recipe.Runtime's command).
	runtime.GOMAXPROCS(1)
	// The monitor's steady state (copying output into the log) allocates
	// nothing, so the GC would only ever run as the runtime's forced
	// two-minute collection, whose mark bitmaps and work buffers then stay
	// resident (~180 KiB, a tenth of the monitor). A memory limit instead
	// of a GC percentage: the heap is collected only if restarts, health
	// checks or attach traffic ever make it grow to the limit.
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(monitor.MemoryLimit)
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
