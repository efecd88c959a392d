package engine

import (
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
	Stdout     io.Writer
	Stderr     io.Writer
}

type logEntry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
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
	l.scan()
	var entries []logEntry
	l.drain(func(en logEntry) { entries = append(entries, en) })
	if o.Tail >= 0 && len(entries) > o.Tail {
		entries = entries[len(entries)-o.Tail:]
	}
	for _, en := range entries {
		o.print(en)
	}
	if !o.Follow {
		return nil
	}
	stop := l.watch()
	defer stop()
	for {
		l.scan()
		l.drain(o.print)
		st := e.liveState(c)
		_, gone := os.Stat(e.containerDir(c.ID))
		// Removed (--rm) while followed: its state reads as created, so
		// the record's absence ends the follow.
		if !running(st) && st.Status != monitor.StatusCreated || gone != nil {
			l.scan()
			l.drain(o.print)
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (o *LogOptions) print(en logEntry) {
	if !o.Since.IsZero() && en.Time.Before(o.Since) {
		return
	}
	if !o.Until.IsZero() && en.Time.After(o.Until) {
		return
	}
	w := o.Stdout
	if en.Stream == "stderr" {
		w = o.Stderr
	}
	if o.Timestamps {
		io.WriteString(w, en.Time.Format("2006-01-02T15:04:05.000000000Z07:00")+" ")
	}
	io.WriteString(w, en.Log)
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
