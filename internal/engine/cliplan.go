package engine

import (
	"os"
	"strconv"

	"github.com/jinn-containers/jinn/internal/cliplan"
)

// The engine's seams of the CLI's run plan (internal/cliplan): each write
// of an eligible `run --rm` is recorded as the engine did it. Where the
// bytes are another package's (the monitor's records, the network's
// files), the seam records the file as it was just written: the writer
// stays the one owner of its format.

func (e *Local) rec() *cliplan.Recorder { return e.cfg.Rec }

// recFile records path as written just now (atomically: the replay
// writes it aside and renames it in, as atomicfile does).
func (e *Local) recFile(path string, mode int) {
	r := e.rec()
	if r == nil {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		r.Refuse("read back " + path)
		return
	}
	r.Op("write", path, mode, b)
}

// recMkdir records a directory made (its parents exist in every run the
// key admits: the store's own directories).
func (e *Local) recMkdir(path string, mode int) { e.rec().Op("mkdir", path, mode) }

// recMonitor registers the monitor's pid and start time as holes.
func (e *Local) recMonitor(pid int, start uint64) {
	r := e.rec()
	if r == nil {
		return
	}
	r.Hole(cliplan.HoleMonPid, strconv.Itoa(pid))
	r.Hole(cliplan.HoleMonBoot, strconv.FormatUint(start, 10))
}

// background runs fn in a goroutine and returns a channel closed when it
// is done; a recorded run runs it at once (its steps one after another).
func (e *Local) background(fn func()) <-chan struct{} {
	done := make(chan struct{})
	if e.rec() != nil {
		fn()
		close(done)
		return done
	}
	go func() {
		defer close(done)
		fn()
	}()
	return done
}
