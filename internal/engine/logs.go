package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// LogOptions are `jinn logs` flags.
type LogOptions struct {
	Follow     bool
	Tail       int // -1: all
	Since      time.Time
	Until      time.Time
	Timestamps bool
	// Details puts each line's log attributes before it (--details):
	// docker's --log-opt labels/env/tag, which the json-file driver here
	// does not take, so an empty set and its separating space.
	Details bool
	Stdout  io.Writer
	Stderr  io.Writer
}

// Logs prints the container's json-file log, rotated files first. With
// Follow it goes on until the container stops, across rotations: every
// file it has seen stays open (logReader), so a rotation never takes a
// line it has not printed yet.
func (e *Local) Logs(ctx context.Context, ref string, o *LogOptions) error {
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	l := &logReader{path: c.LogPath}
	defer l.close()
	out := newLogPrinter(o)
	defer out.flush()
	l.scan()
	var wake <-chan struct{}
	if o.Follow {
		// Watching from now on: a file the first drain takes long to
		// get to must not rotate away unopened meanwhile.
		var stop func()
		stop, wake = l.watch()
		defer stop()
	}
	if o.Tail < 0 {
		l.drain(out.print)
	} else {
		tail := &logTail{n: o.Tail}
		l.drain(tail.add)
		tail.each(out.print)
	}
	out.flush()
	if !o.Follow {
		return nil
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		l.scan()
		l.drain(out.print)
		out.flush()
		st := e.liveState(c)
		_, gone := os.Stat(e.containerDir(c.ID))
		// Removed (--rm) while followed: its state reads as created, so
		// the record's absence ends the follow.
		if !running(st) && st.Status != monitor.StatusCreated || gone != nil {
			l.scan()
			l.drain(out.print)
			return nil
		}
		// Lines as they come; the state at the next tick.
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return nil
			case <-wake:
				l.drain(out.print)
				out.flush()
			case <-tick.C:
				waiting = false
			}
		}
	}
}

// logPrinter writes entries in batches: one write per 64 KiB of a stream
// instead of one per line (a follower of a fast writer spent most of its
// time in write(2)). Switching streams flushes the other one first, so
// a terminal shows stdout and stderr in the order the log holds them.
type logPrinter struct {
	o        *LogOptions
	out, err *bufio.Writer
	last     *bufio.Writer
	ts       []byte
}

func newLogPrinter(o *LogOptions) *logPrinter {
	return &logPrinter{o: o, out: bufio.NewWriterSize(o.Stdout, 64*1024), err: bufio.NewWriterSize(o.Stderr, 64*1024)}
}

func (p *logPrinter) print(en *logEntry) {
	o := p.o
	var t time.Time
	if !o.Since.IsZero() || !o.Until.IsZero() || o.Timestamps {
		t = en.time()
		if !o.Since.IsZero() && t.Before(o.Since) || !o.Until.IsZero() && t.After(o.Until) {
			return
		}
	}
	w := p.out
	if en.Stream == "stderr" {
		w = p.err
	}
	if p.last != w {
		if p.last != nil {
			p.last.Flush()
		}
		p.last = w
	}
	if o.Timestamps {
		p.ts = t.AppendFormat(p.ts[:0], "2006-01-02T15:04:05.000000000Z07:00")
		p.ts = append(p.ts, ' ')
		w.Write(p.ts)
	}
	if o.Details {
		w.WriteByte(' ')
	}
	w.Write(en.Log)
}

func (p *logPrinter) flush() {
	p.out.Flush()
	p.err.Flush()
}

// logTail keeps the last n entries (--tail N) in a ring of copies.
type logTail struct {
	n     int
	ring  []logEntry
	start int
}

func (t *logTail) add(en *logEntry) {
	if t.n == 0 {
		return
	}
	if len(t.ring) < t.n {
		t.ring = append(t.ring, logEntry{})
	} else {
		t.start = (t.start + 1) % t.n
	}
	k := &t.ring[(t.start+len(t.ring)-1)%len(t.ring)]
	k.Log = append(k.Log[:0], en.Log...)
	k.rawTime = append(k.rawTime[:0], en.rawTime...)
	k.Stream = en.Stream
}

func (t *logTail) each(fn func(*logEntry)) {
	for i := range t.ring {
		fn(&t.ring[(t.start+i)%len(t.ring)])
	}
}

// ParseTail parses --tail ("all" or N).
func ParseTail(s string) (int, error) {
	if s == "" || s == "all" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid value for --tail: %q", s)
	}
	return n, nil
}
