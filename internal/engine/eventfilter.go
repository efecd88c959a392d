package engine

import (
	"fmt"
	"strings"
)

// EventFilter is `jinn events --filter`: docker's keys container, event,
// type, label and image. Values of one key are alternatives (OR); keys
// must all match (AND).
type EventFilter struct {
	by map[string][]string
}

// ParseEventFilter parses "key=value" filters.
func ParseEventFilter(specs []string) (*EventFilter, error) {
	f := &EventFilter{by: map[string][]string{}}
	for _, s := range specs {
		k, v, ok := strings.Cut(s, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || v == "" {
			return nil, fmt.Errorf("bad format of filter (expected name=value): %q", s)
		}
		switch k {
		case "container", "event", "type", "label", "image":
		default:
			return nil, fmt.Errorf("invalid filter '%s'", k)
		}
		if k == "type" && v != "container" && v != "image" && v != "network" && v != "volume" {
			return nil, fmt.Errorf("invalid filter 'type=%s'", v)
		}
		f.by[k] = append(f.by[k], v)
	}
	return f, nil
}

// Match reports whether ev passes every key of the filter; a nil filter
// passes everything.
func (f *EventFilter) Match(ev *Event) bool {
	if f == nil {
		return true
	}
	attrs := ev.Actor.Attributes
	for k, vs := range f.by {
		ok := false
		for _, v := range vs {
			switch k {
			case "container":
				// docker's fuzzy match: the name, or the ID or a prefix of it.
				ok = ev.Type == "container" && (attrs["name"] == v || strings.HasPrefix(ev.Actor.ID, v))
			case "event":
				// "exec_start: sh -c ..." is the event exec_start.
				a, _, _ := strings.Cut(ev.Action, ":")
				ok = a == v
			case "type":
				ok = ev.Type == v
			case "label":
				lk, lv, hasValue := strings.Cut(v, "=")
				got, present := attrs[lk]
				ok = present && (!hasValue || got == lv)
			case "image":
				img := attrs["image"]
				ok = img == v || strings.TrimSuffix(img, ":latest") == v || img == v+":latest"
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
