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

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// progress shows transfers: a bar per layer on a terminal, redrawn in
// place, plain lines otherwise (logs, CI, tests).
//
// The bars are drawn here rather than by a progress-bar library: mpb
// brought six packages (stripansi's regexp, go-runewidth's and uniseg's
// tables) whose initialisation every jinn command paid at its start
// (~0.1 ms of `jinn --version`'s ~3) for a screen only pull and push draw.
type progress struct {
	w     io.Writer
	mu    sync.Mutex
	term  bool
	cols  int // the terminal's width: a bar line must not wrap
	bars  []*pbar
	drawn int // bar lines on the screen below the cursor's line
	stop  chan struct{}
	ended chan struct{}
}

// redrawEvery is how often bars are redrawn while data moves.
const redrawEvery = 150 * time.Millisecond

// termCols is w's width if it is a terminal, else 0. A terminal without a
// size (a bare pty) cannot draw bars either.
func termCols(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if w != nil {
		p.cols = termCols(w)
		p.term = p.cols > 0
	}
	return p
}

// line prints a status line; on a terminal above the bars, which are
// drawn again below it.
func (p *progress) line(format string, args ...any) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn == 0 {
		fmt.Fprintf(p.w, format+"\n", args...)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\x1b[%dA\r\x1b[K", p.drawn)
	fmt.Fprintf(&b, format+"\n", args...)
	p.drawn = 0
	p.render(&b)
	io.WriteString(p.w, b.String())
}

type pbar struct {
	p     *progress
	d     digest.Digest
	push  bool
	total int64
	cur   atomic.Int64
	state atomic.Int32 // 0 moving, 1 complete, 2 failed
}

func (p *progress) bar(d digest.Digest, size int64) *pbar { return p.newBar(d, size, false) }

func (p *progress) newBar(d digest.Digest, size int64, push bool) *pbar {
	b := &pbar{p: p, d: d, push: push, total: size}
	switch {
	case p.term:
		p.mu.Lock()
		p.bars = append(p.bars, b)
		if p.stop == nil {
			p.stop, p.ended = make(chan struct{}), make(chan struct{})
			go p.redraw(p.stop, p.ended)
		}
		p.mu.Unlock()
		p.draw()
	case push:
		p.line("%s: Pushing", short(d))
	default:
		p.line("%s: Pulling fs layer", short(d))
	}
	return b
}

// add counts n more bytes moved (push's progress updates).
func (b *pbar) add(n int64) { b.cur.Add(n) }

func (b *pbar) reader(r io.Reader) io.Reader {
	if !b.p.term {
		return r
	}
	return &countReader{r: r, b: b}
}

type countReader struct {
	r io.Reader
	b *pbar
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.b.cur.Add(int64(n))
	return n, err
}

func (b *pbar) done(err error) {
	if b.p.term {
		if err != nil {
			b.state.Store(2)
		} else {
			b.state.Store(1)
		}
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

func (p *progress) redraw(stop, ended chan struct{}) {
	defer close(ended)
	t := time.NewTicker(redrawEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.draw()
		}
	}
}

// draw writes the bars again over the ones drawn before.
func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	p.render(&b)
	io.WriteString(p.w, b.String())
}

// render appends every bar's line; called with p.mu held.
func (p *progress) render(b *strings.Builder) {
	for _, bar := range p.bars {
		b.WriteString("\r\x1b[K")
		bar.render(b)
		b.WriteByte('\n')
	}
	p.drawn = len(p.bars)
}

const barWidth = 30

// render writes the bar's line, the bar narrowed (or left out, then the
// line cut) to fit the terminal: a wrapped line would throw the redraw's
// cursor movements off.
func (b *pbar) render(w *strings.Builder) {
	cur, total := b.cur.Load(), b.total
	state := b.state.Load()
	if state == 1 && total > 0 {
		cur = total
	}
	head := short(b.d) + " "
	switch state {
	case 1:
		if b.push {
			head += "Pushed "
		} else {
			head += "Pull complete "
		}
	case 2:
		head += "Failed "
	}
	tail := fmt.Sprintf(" %s / %s", kibi(cur), kibi(total))
	if total > 0 {
		tail += fmt.Sprintf(" %3d %%", min(cur, total)*100/total)
	}
	width := barWidth
	if cols := b.p.cols; cols > 0 {
		// The widest the line gets, so that the bar keeps its width
		// from the first drawing to the last.
		widest := len(short(b.d)) + len(" Pull complete []") + len(tail) +
			max(0, len(kibi(total))-len(kibi(cur)))
		width = min(width, cols-1-widest)
	}
	if width < 5 {
		line := head + strings.TrimPrefix(tail, " ")
		if cols := b.p.cols; cols > 1 && len(line) > cols-1 {
			line = line[:cols-1]
		}
		w.WriteString(line)
		return
	}
	fill := 0
	if total > 0 {
		fill = int(min(cur, total) * int64(width) / total)
	}
	w.WriteString(head)
	w.WriteByte('[')
	w.WriteString(strings.Repeat("=", fill))
	if fill < width {
		w.WriteByte('>')
		w.WriteString(strings.Repeat(" ", width-fill-1))
	}
	w.WriteByte(']')
	w.WriteString(tail)
}

// kibi is n bytes in binary units, one decimal: "1.5 MiB".
func kibi(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d b", n)
	}
	f, units := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if f < 1024 {
			break
		}
		f, units = f/1024, u
	}
	return fmt.Sprintf("%.1f %s", f, units)
}

// wait draws the bars' last state and stops redrawing.
func (p *progress) wait() {
	p.mu.Lock()
	stop, ended := p.stop, p.ended
	p.stop = nil
	p.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	<-ended
	p.draw()
	p.mu.Lock()
	p.bars, p.drawn = nil, 0
	p.mu.Unlock()
}
