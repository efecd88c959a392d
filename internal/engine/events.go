package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/jinn-containers/jinn/internal/cliplan"
	"github.com/jinn-containers/jinn/internal/jsonlite"
)

// Event is docker's event message, with its legacy status/id/from fields.
type Event struct {
	Status   string    `json:"status,omitempty"`
	ID       string    `json:"id,omitempty"`
	From     string    `json:"from,omitempty"`
	Type     string    `json:"Type"`
	Action   string    `json:"Action"`
	Actor    Actor     `json:"Actor"`
	Scope    string    `json:"scope"`
	Time     int64     `json:"time"`
	TimeNano int64     `json:"timeNano"`
	When     time.Time `json:"-"`
}

// Actor is the object of an event.
type Actor struct {
	ID         string            `json:"ID"`
	Attributes map[string]string `json:"Attributes"`
}

// EventLog is an append-only file of events: without a daemon, every jinn
// process appends (O_APPEND writes under PIPE_BUF are atomic) and
// `jinn events` follows the file.
type EventLog struct{ path string }

// Add records an event; failures are ignored (events are best effort).
func (l *EventLog) Add(typ, action, id, name, image string) {
	l.AddAttrs(typ, action, id, map[string]string{"name": name, "image": image})
}

// AddAttrs records an event with the given actor attributes.
func (l *EventLog) AddAttrs(typ, action, id string, attrs map[string]string) {
	l.add(typ, action, id, attrs, nil)
}

// add is AddAttrs, recording the line appended into rec.
func (l *EventLog) add(typ, action, id string, attrs map[string]string, rec *cliplan.Recorder) {
	now := time.Now()
	ev := Event{Type: typ, Action: action, Scope: "local", Time: now.Unix(), TimeNano: now.UnixNano(),
		Actor: Actor{ID: id, Attributes: attrs}}
	b, err := jsonlite.Encode(ev)
	if err != nil {
		return
	}
	if rec != nil {
		rec.Hole(cliplan.HoleEvNano, strconv.FormatInt(ev.TimeNano, 10))
		rec.Hole(cliplan.HoleEvSec, strconv.FormatInt(ev.Time, 10))
		rec.Op("append", l.path, 0o600, append(bytes.Clone(b), '\n'))
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	f.Write(append(b, '\n'))
	f.Close()
}

// event records a container event with the container's name, image and
// labels as attributes, as docker's are, and extra key/value pairs (a
// kill's "signal").
func (e *Local) event(c *Container, action string, extra ...string) {
	attrs := map[string]string{"name": c.Name, "image": c.Image}
	for k, v := range c.Config.Labels {
		if k != "name" && k != "image" {
			attrs[k] = v
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		attrs[extra[i]] = extra[i+1]
	}
	e.events.add("container", action, c.ID, attrs, e.rec())
}

// killEvent records docker's "kill" event: the signal by number.
func (e *Local) killEvent(c *Container, sig string) {
	n, _ := signalNumber(sig)
	e.event(c, "kill", "signal", strconv.Itoa(n))
}

// labelAttrs is labels as the monitor's "key=value" event attributes.
func labelAttrs(labels map[string]string) []string {
	out := make([]string, 0, len(labels))
	for k, v := range labels {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Follow sends events from since to until (zero: no bound) that f
// accepts (nil: all). With follow it waits for new ones until ctx ends or
// until passes; without, it stops at the end of the log.
func (l *EventLog) Follow(ctx context.Context, since, until time.Time, follow bool, f *EventFilter, fn func(*Event)) error {
	file, err := os.OpenFile(l.path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer file.Close()
	r := bufio.NewReader(file)
	var part []byte
	for {
		line, err := r.ReadBytes('\n')
		if err == nil {
			line = append(part, line...)
			part = nil
			ev := &Event{}
			if json.Unmarshal(line, ev) == nil {
				t := time.Unix(0, ev.TimeNano)
				if !until.IsZero() && t.After(until) {
					return nil
				}
				if (since.IsZero() || !t.Before(since)) && f.Match(ev) {
					ev.When = t
					if ev.Type == "container" {
						ev.Status, ev.ID, ev.From = ev.Action, ev.Actor.ID, ev.Actor.Attributes["image"]
					}
					fn(ev)
				}
			}
			continue
		}
		part = append(part, line...)
		if err != io.EOF {
			return err
		}
		if !follow || (!until.IsZero() && time.Now().After(until)) {
			return nil
		}
		wait := 100 * time.Millisecond
		if !until.IsZero() {
			if d := time.Until(until); d < wait {
				wait = d + time.Millisecond
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}
