package cli

import (
	"testing"
	"time"
)

func TestParseUntil(t *testing.T) {
	now := time.Now()
	for in, want := range map[string]time.Time{
		"1700000000":           time.Unix(1700000000, 0),
		"1700000000.5":         time.Unix(1700000000, 5e8),
		"2024-01-02T03:04:05Z": time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		"2024-01-02":           time.Date(2024, 1, 2, 0, 0, 0, 0, time.Local),
	} {
		if got, err := parseUntil(in); err != nil || !got.Equal(want) {
			t.Errorf("parseUntil(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if got, err := parseUntil("1h"); err != nil || got.After(now.Add(-time.Hour+time.Second)) || got.Before(now.Add(-time.Hour-time.Minute)) {
		t.Errorf("parseUntil(1h) = %v, %v", got, err)
	}
	for _, bad := range []string{"yesterday", "1e9", ""} {
		if _, err := parseUntil(bad); err == nil {
			t.Errorf("parseUntil(%q) accepted", bad)
		}
	}
}

func TestFilterSet(t *testing.T) {
	fs, err := parseFilterSet([]string{"label=a", "label=b=2", "label!=c", "name=x", "name=y"}, "label", "label!", "name")
	if err != nil {
		t.Fatal(err)
	}
	for labels, want := range map[*map[string]string]bool{
		{"a": "", "b": "2"}:          true,
		{"a": "1", "b": "3"}:         false, // b must be 2
		{"b": "2"}:                   false, // a is required
		{"a": "", "b": "2", "c": ""}: false, // c is excluded
	} {
		if got := fs.Labels(*labels); got != want {
			t.Errorf("labels(%v) = %v", *labels, got)
		}
	}
	if !fs.Any("name", func(v string) bool { return v == "y" }) || fs.Any("name", func(v string) bool { return v == "z" }) {
		t.Error("any: values of one key are alternatives")
	}
	for _, bad := range [][]string{{"colour=red"}, {"noequals"}, {"until=soon"}} {
		if _, err := parseFilterSet(bad, "until", "label"); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
