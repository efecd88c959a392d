package image

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	units "github.com/docker/go-units"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// progress shows transfers: on a terminal one line per layer, redrawn in
// place as docker draws them; plain lines otherwise (logs, CI, tests).
// (A bar library linked into jinn cost every command ~0.15 ms of package
// initialisation, its ANSI-stripping regexp the most.)
type progress struct {
	w  io.Writer
	mu sync.Mutex
	// On a terminal: the bars, how many lines of them are on the screen,
	// and the redrawing goroutine's stop and end.
	tty   bool
	bars  []*pbar
	shown int
	stop  chan struct{}
	ended chan struct{}
}

// redrawEvery is how often the bars are redrawn while bytes flow.
const redrawEvery = 150 * time.Millisecond

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	// A terminal without a size (a bare pty) cannot draw bars.
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	return err == nil && ws.Col > 0
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if w != nil && isTerminal(w) {
		p.startBars()
	}
	return p
}

// startBars draws bars from now on.
func (p *progress) startBars() {
	p.tty, p.stop, p.ended = true, make(chan struct{}), make(chan struct{})
	go p.redraw()
}

func (p *progress) redraw() {
	defer close(p.ended)
	t := time.NewTicker(redrawEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// draw puts the bars back over the ones on the screen (p.mu held).
func (p *progress) draw() {
	var b strings.Builder
	if p.shown > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.shown) // up to the first bar
	}
	for _, bar := range p.bars {
		b.WriteString("\r\x1b[K")
		b.WriteString(bar.text())
		b.WriteByte('\n')
	}
	p.shown = len(p.bars)
	io.WriteString(p.w, b.String())
}

func (p *progress) line(format string, args ...any) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.shown > 0 {
		// Above the bars: clear them, print, draw them again below.
		fmt.Fprintf(p.w, "\x1b[%dA\r\x1b[J", p.shown)
		p.shown = 0
		fmt.Fprintf(p.w, format+"\n", args...)
		p.draw()
		return
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

type pbar struct {
	p    *progress
	d    digest.Digest
	size int64
	n    atomic.Int64
	end  string // "", "done" or "failed" (p.mu)
	push bool
}

func (p *progress) bar(d digest.Digest, size int64) *pbar { return p.newBar(d, size, false) }

func (p *progress) newBar(d digest.Digest, size int64, push bool) *pbar {
	b := &pbar{p: p, d: d, size: size, push: push}
	switch {
	case p.tty:
		p.mu.Lock()
		p.bars = append(p.bars, b)
		p.mu.Unlock()
	case push:
		p.line("%s: Pushing", short(d))
	default:
		p.line("%s: Pulling fs layer", short(d))
	}
	return b
}

// text is the bar's line: "3f57d9401f8d: Downloading [==>   ] 1.2MB/3.4MB".
func (b *pbar) text() string {
	switch b.end {
	case "done":
		if b.push {
			return short(b.d) + ": Pushed"
		}
		return short(b.d) + ": Pull complete"
	case "failed":
		return short(b.d) + ": Failed"
	}
	verb := "Downloading"
	if b.push {
		verb = "Pushing"
	}
	n := b.n.Load()
	if b.size <= 0 {
		return fmt.Sprintf("%s: %s %s", short(b.d), verb, units.HumanSize(float64(n)))
	}
	const width = 40
	fill := int(min(n, b.size) * width / b.size)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	return fmt.Sprintf("%s: %s [%s] %s/%s", short(b.d), verb, bar,
		units.HumanSize(float64(n)), units.HumanSize(float64(b.size)))
}

// counter counts what is read through it into its bar.
type counter struct {
	r io.Reader
	b *pbar
}

func (c counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.b.n.Add(int64(n))
	return n, err
}

// add counts n more bytes done (push's updates).
func (b *pbar) add(n int64) { b.n.Add(n) }

func (b *pbar) reader(r io.Reader) io.Reader {
	if !b.p.tty {
		return r
	}
	return counter{r, b}
}

func (b *pbar) done(err error) {
	if b.p.tty {
		b.p.mu.Lock()
		b.end = "done"
		if err != nil {
			b.end = "failed"
		}
		b.p.mu.Unlock()
		return
	}
	switch {
	case err != nil:
		b.p.line("%s: Failed: %v", short(b.d), err)
	case b.push:
		b.p.line("%s: Pushed", short(b.d))
	default:
		b.p.line("%s: Pull complete", short(b.d))
	}
}

// wait draws the bars' last state and stops redrawing: what follows
// is printed below them. The transfers are over.
func (p *progress) wait() {
	if !p.tty {
		return
	}
	close(p.stop)
	<-p.ended
	p.mu.Lock()
	p.draw()
	p.tty, p.bars, p.shown = false, nil, 0
	p.mu.Unlock()
}
