package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 999: "999B", 1000: "1kB", 2140160: "2.14MB", 107059200: "107MB", 5e9: "5GB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "Less than a second", 30 * time.Second: "30 seconds", 90 * time.Second: "About a minute",
		10 * time.Minute: "10 minutes", time.Hour: "About an hour", 5 * time.Hour: "5 hours",
		72 * time.Hour: "3 days", 21 * 24 * time.Hour: "3 weeks", 2 * 365 * 24 * time.Hour: "2 years",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestPrintRows(t *testing.T) {
	rows := []imageRow{{ID: "abc", Repository: "busybox", Tag: "latest", Size: "2MB"}}
	var b bytes.Buffer
	if err := printRows(&b, "", "table {{.Repository}}\t{{.Tag}}\t{{.ID}}", rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "REPOSITORY") || !strings.Contains(lines[0], "IMAGE ID") || !strings.Contains(lines[1], "busybox") {
		t.Fatalf("table:\n%s", b.String())
	}
	b.Reset()
	printRows(&b, "{{.Repository}}:{{.Tag}} {{upper .Size}}", "", rows)
	if b.String() != "busybox:latest 2MB\n" {
		t.Fatalf("template: %q", b.String())
	}
	b.Reset()
	printRows(&b, "json", "", rows)
	if !strings.Contains(b.String(), `"Repository":"busybox"`) {
		t.Fatalf("json: %q", b.String())
	}
	if err := printRows(&b, "{{.Nope", "", rows); err == nil {
		t.Fatal("bad template accepted")
	}
}
