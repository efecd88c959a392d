package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 999: "999B", 1000: "1kB", 2140160: "2.14MB", 107059200: "107MB", 5e9: "5GB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %s, want %s", n, got, want)
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
