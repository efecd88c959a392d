package engine

import "testing"

func TestEventFilter(t *testing.T) {
	ev := &Event{Type: "container", Action: "exec_start: sh -c true", Actor: Actor{
		ID:         "0123456789abcdef",
		Attributes: map[string]string{"name": "web", "image": "busybox:latest", "tier": "front", "empty": ""},
	}}
	for _, c := range []struct {
		filters []string
		want    bool
	}{
		{nil, true},
		{[]string{"container=web"}, true},
		{[]string{"container=0123"}, true},
		{[]string{"container=we"}, false},
		{[]string{"container=db", "container=web"}, true}, // one key: OR
		{[]string{"event=exec_start"}, true},
		{[]string{"event=start"}, false},
		{[]string{"type=container"}, true},
		{[]string{"type=image"}, false},
		{[]string{"label=tier"}, true},
		{[]string{"label=tier=front"}, true},
		{[]string{"label=tier=back"}, false},
		{[]string{"label=empty="}, true},
		{[]string{"label=nosuch"}, false},
		{[]string{"image=busybox"}, true},
		{[]string{"image=busybox:latest"}, true},
		{[]string{"image=alpine"}, false},
		{[]string{"container=web", "event=exec_start", "label=tier=front"}, true}, // keys: AND
		{[]string{"container=web", "event=die"}, false},
	} {
		f, err := ParseEventFilter(c.filters)
		if err != nil {
			t.Fatalf("%v: %v", c.filters, err)
		}
		if got := f.Match(ev); got != c.want {
			t.Errorf("%v: match %v, want %v", c.filters, got, c.want)
		}
	}
	var nilFilter *EventFilter
	if !nilFilter.Match(ev) {
		t.Error("nil filter must match")
	}
	for _, bad := range []string{"nosuch=1", "container", "event=", "type=bogus"} {
		if _, err := ParseEventFilter([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
