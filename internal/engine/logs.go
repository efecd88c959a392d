package engine

import (
	"bufio"
	"context"
	"encoding/json"
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

// Logs prints the container's json-file log, rotated files first.
func (e *Local) Logs(ctx context.Context, ref string, o *LogOptions) error {
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	var entries []logEntry
	for i := 9; i >= 1; i-- {
		entries = append(entries, readLogFile(fmt.Sprintf("%s.%d", c.LogPath, i))...)
	}
	f, err := os.Open(c.LogPath)
	var r *bufio.Reader
	if err == nil {
		defer f.Close()
		r = bufio.NewReaderSize(f, 64*1024)
		entries = append(entries, readEntries(r)...)
	}
	if o.Tail >= 0 && len(entries) > o.Tail {
		entries = entries[len(entries)-o.Tail:]
	}
	for _, en := range entries {
		o.print(en)
	}
	if !o.Follow || r == nil {
		return nil
	}
	for {
		for _, en := range readEntries(r) {
			o.print(en)
		}
		st := e.liveState(c)
		if !running(st) && st.Status != monitor.StatusCreated {
			for _, en := range readEntries(r) {
				o.print(en)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
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

func readLogFile(path string) []logEntry {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	return readEntries(bufio.NewReader(f))
}

// readEntries reads complete lines; a partial last line is left for later.
func readEntries(r *bufio.Reader) []logEntry {
	var out []logEntry
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			if len(line) > 0 {
				// Not complete yet: put it back by re-reading next time is not
				// possible with bufio; decode if it is whole JSON.
				var en logEntry
				if json.Unmarshal(line, &en) == nil {
					out = append(out, en)
				}
			}
			return out
		}
		var en logEntry
		if json.Unmarshal(line, &en) == nil {
			out = append(out, en)
		}
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
