package image

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// TestProgressTerminal: on a terminal every bar is redrawn in place (the
// cursor goes up as many lines as were drawn), a status line goes above
// the bars, and the last drawing shows each bar's end.
func TestProgressTerminal(t *testing.T) {
	var out bytes.Buffer
	p := &progress{w: &out, term: true}
	a := p.bar(digest.FromString("a"), 4096)
	b := p.bar(digest.FromString("b"), 2<<20)
	if _, err := io.Copy(io.Discard, a.reader(strings.NewReader(strings.Repeat("x", 4096)))); err != nil {
		t.Fatal(err)
	}
	a.done(nil)
	p.line("%s: Already exists", "c")
	b.add(1 << 20)
	b.done(errors.New("boom"))
	p.wait()
	s := out.String()
	// The final drawing: the cursor up over both bars, then both.
	i := strings.LastIndex(s, "\x1b[2A")
	if i < 0 {
		t.Fatalf("no redraw over two bars in %q", s)
	}
	last := s[i:]
	wantA := short(digest.FromString("a")) + " Pull complete [" + strings.Repeat("=", barWidth) + "] 4.0 KiB / 4.0 KiB 100 %"
	wantB := short(digest.FromString("b")) + " Failed [" + strings.Repeat("=", barWidth/2) + ">"
	if !strings.Contains(last, wantA) || !strings.Contains(last, wantB) || !strings.Contains(last, "1.0 MiB / 2.0 MiB  50 %") {
		t.Errorf("last drawing %q lacks %q or %q", last, wantA, wantB)
	}
	if !strings.Contains(s, "\r\x1b[Kc: Already exists\n") {
		t.Errorf("status line not printed over the bars: %q", s)
	}
	if n := strings.Count(last, "\n"); n != 2 {
		t.Errorf("last drawing has %d lines, want 2: %q", n, last)
	}
}

// TestProgressPlain: without a terminal, lines only, and readers pass
// through untouched.
func TestProgressPlain(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out)
	d := digest.FromString("a")
	r := strings.NewReader("x")
	b := p.bar(d, 1)
	if b.reader(r) != io.Reader(r) {
		t.Error("reader wrapped without a terminal")
	}
	b.done(nil)
	p.wait()
	want := short(d) + ": Pulling fs layer\n" + short(d) + ": Pull complete\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestProgressNarrowTerminal: no bar line is wider than the terminal (a
// wrapped line would throw the redraw's cursor movements off): the bar
// narrows, then goes, then the line is cut.
func TestProgressNarrowTerminal(t *testing.T) {
	for _, cols := range []int{200, 60, 40, 20} {
		var out bytes.Buffer
		p := &progress{w: &out, term: true, cols: cols}
		b := p.bar(digest.FromString("a"), 3<<30)
		b.add(1 << 30)
		b.done(nil)
		p.wait()
		for _, l := range strings.Split(out.String(), "\n") {
			if i := strings.LastIndex(l, "\x1b[K"); i >= 0 {
				l = l[i+len("\x1b[K"):]
			}
			if len(l) > cols-1 {
				t.Errorf("%d columns: line of %d: %q", cols, len(l), l)
			}
		}
		if cols >= 60 && !strings.Contains(out.String(), "[===") {
			t.Errorf("%d columns: no bar drawn: %q", cols, out.String())
		}
	}
}
