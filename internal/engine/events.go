package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"time"
)

// Event is docker's event message.
type Event struct {
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
	now := time.Now()
	ev := Event{Type: typ, Action: action, Scope: "local", Time: now.Unix(), TimeNano: now.UnixNano(),
		Actor: Actor{ID: id, Attributes: map[string]string{"name": name, "image": image}}}
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	f.Write(append(b, '\n'))
	f.Close()
}

// Follow sends events since `since` (and, with follow, new ones until ctx ends).
func (l *EventLog) Follow(ctx context.Context, since, until time.Time, follow bool, fn func(*Event)) error {
	f, err := os.OpenFile(l.path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var part []byte
	for {
		line, err := r.ReadBytes('\n')
		if err == nil {
			line = append(part, line...)
			part = nil
			ev := &Event{}
			if json.Unmarshal(line, ev) == nil {
				t := time.Unix(0, ev.TimeNano)
				if (since.IsZero() || !t.Before(since)) && (until.IsZero() || !t.After(until)) {
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
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}
