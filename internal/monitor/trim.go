package monitor

import "github.com/jinn-containers/jinn/internal/memtrim"

// MemoryLimit is the monitor's Go memory limit (it runs with the GC
// percentage off, see cmd/jinn-monitor): far above its ~1 MiB of Go
// memory, so the GC does not run in steady state, and low enough that
// garbage from restarts, health checks and attach traffic is collected.
const MemoryLimit = 8 << 20

// trim gives back what only start-up needed, once the container runs: the
// mappings of the monitor's own binary (memtrim.Text). The start-up heap
// garbage (~50 KiB) is left alone: debug.FreeOSMemory would run a GC whose
// metadata costs more than it frees.
func trim() { memtrim.Text() }
