package image

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// Without a terminal: docker's plain lines, as logs and tests see them.
func TestProgressPlain(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out)
	d := digest.FromString("a")
	b := p.bar(d, 3)
	io.ReadAll(b.reader(strings.NewReader("abc")))
	b.done(nil)
	p.newBar(digest.FromString("b"), 1, true).done(errors.New("boom"))
	p.wait()
	p.line("Digest: %s", d)
	want := short(d) + ": Pulling fs layer\n" + short(d) + ": Pull complete\n" +
		short(digest.FromString("b")) + ": Pushing\n" + short(digest.FromString("b")) + ": Failed: boom\n" + "Digest: " + string(d) + "\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// On a terminal: a line per layer redrawn in place, lines printed above
// the bars, the last state drawn by wait, what follows below them.
func TestProgressBars(t *testing.T) {
	var out syncBuffer
	p := &progress{w: &out}
	p.startBars()
	d1, d2 := digest.FromString("1"), digest.FromString("2")
	b1, b2 := p.bar(d1, 2_000_000), p.bar(d2, 0)
	io.ReadAll(b1.reader(strings.NewReader(strings.Repeat("x", 1_000_000))))
	if got := b1.text(); !strings.HasPrefix(got, short(d1)+": Downloading [====================>") || !strings.HasSuffix(got, "] 1MB/2MB") {
		t.Errorf("half-way bar %q", got)
	}
	p.mu.Lock()
	p.draw()
	p.mu.Unlock()
	p.line("%s: Already exists", short(d2))
	b1.done(nil)
	b2.done(errors.New("x"))
	p.wait()
	p.line("Status: done")
	s := out.String()
	for _, want := range []string{short(d2) + ": Already exists\n", "\x1b[2A", short(d1) + ": Pull complete\n", short(d2) + ": Failed\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in %q", want, s)
		}
	}
	if !strings.HasSuffix(s, short(d2)+": Failed\nStatus: done\n") {
		t.Errorf("the line after wait is not below the bars: %q", s)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
