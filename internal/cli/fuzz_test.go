package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

type fuzzRow struct {
	ID, Names, Image string
	Labels           map[string]string
	Ports            []string
	Size             int64
	Created          time.Time
}

// FuzzFormat: any --format template parses or is refused, and prints at
// most maxFormatOutput bytes; never a panic or an unbounded output.
// Seeds in testdata/fuzz/FuzzFormat (the 16 MiB cap came from here).
func FuzzFormat(f *testing.F) {
	rows := []fuzzRow{
		{ID: "0123456789ab", Names: "web", Image: "busybox", Labels: map[string]string{"a": "b"}, Ports: []string{"80/tcp"}, Size: 1 << 20},
		{ID: "ba9876543210", Names: "db\nx", Image: "redis:7", Size: -1},
	}
	f.Fuzz(func(t *testing.T, format string) {
		var out bytes.Buffer
		err := printRows(&out, format, "", rows)
		if out.Len() > maxFormatOutput+4096 {
			t.Fatalf("printRows printed %d bytes", out.Len())
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
		out.Reset()
		fm, err := newFormatter(&out, format, headerFromTemplate(nil))
		if err != nil {
			return
		}
		for _, r := range rows {
			if fm.row(r) != nil {
				break
			}
		}
		fm.flush()
		if out.Len() > maxFormatOutput+4096 {
			t.Fatalf("formatter printed %d bytes", out.Len())
		}
	})
}

func TestFormatOutputCapped(t *testing.T) {
	var out bytes.Buffer
	rows := []fuzzRow{{ID: "x"}}
	for _, format := range []string{
		`{{pad "" 99999999999 0}}`,
		`{{range split (pad "" 16000000 0) ""}}{{pad "" 1000 0}}{{end}}`,
		`{{range $i, $e := split (pad "" 10000 0) ""}}{{pad "" 10000 0}}{{end}}`,
		`{{truncate .ID -1}}`, `{{pad .ID -1 0}}`,
	} {
		out.Reset()
		err := printRows(&out, format, "", rows)
		if err == nil || out.Len() > maxFormatOutput {
			t.Errorf("%.40s: %d bytes, err %v", format, out.Len(), err)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%.40s: error not one line: %q", format, err)
		}
	}
}
