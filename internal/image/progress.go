package image

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	digest "github.com/opencontainers/go-digest"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/sys/unix"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// progress shows transfers: an mpb bar per layer on a terminal, plain
// lines otherwise (logs, CI, tests).
type progress struct {
	w  io.Writer
	mu sync.Mutex
	p  *mpb.Progress
}

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
		p.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40))
	}
	return p
}

func (p *progress) line(format string, args ...any) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}

type pbar struct {
	p    *progress
	d    digest.Digest
	bar  *mpb.Bar
	push bool
}

func (p *progress) bar(d digest.Digest, size int64) *pbar { return p.newBar(d, size, false) }

func (p *progress) newBar(d digest.Digest, size int64, push bool) *pbar {
	b := &pbar{p: p, d: d, push: push}
	if p.p != nil {
		b.bar = p.p.AddBar(size,
			mpb.PrependDecorators(decor.Name(short(d)+" "), decor.CountersKibiByte("% .1f / % .1f")),
			mpb.AppendDecorators(decor.Percentage()))
	} else if push {
		p.line("%s: Pushing", short(d))
	} else {
		p.line("%s: Pulling fs layer", short(d))
	}
	return b
}

func (b *pbar) reader(r io.Reader) io.Reader {
	if b.bar == nil {
		return r
	}
	return b.bar.ProxyReader(r)
}

func (b *pbar) done(err error) {
	if b.bar != nil {
		if err != nil {
			b.bar.Abort(false)
		} else {
			b.bar.SetTotal(-1, true)
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

func (p *progress) wait() {
	if p.p != nil {
		p.p.Wait()
		p.p = nil
	}
}
