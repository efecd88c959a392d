package build

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// printer writes progress as docker's classic builder does ("auto"), one
// line per step ("plain"), or nothing but the result (-q).
type printer struct {
	w       io.Writer
	plain   bool
	quiet   bool
	cur     int
	curText string
	start   time.Time
	mu      sync.Mutex
}

func newPrinter(w io.Writer, o Options) *printer {
	return &printer{w: w, plain: o.Progress == "plain", quiet: o.Quiet}
}

func short(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func (p *printer) printf(format string, a ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, a...)
}

func (p *printer) step(n, total int, text string) {
	p.cur, p.curText, p.start = n, text, time.Now()
	if p.plain {
		return
	}
	p.printf("Step %d/%d : %s\n", n, total, text)
}

func (p *printer) cached(id string) {
	if p.plain {
		p.printf("#%d %s CACHED %s\n", p.cur, p.curText, short(id))
		return
	}
	p.printf(" ---> Using cache\n ---> %s\n", short(id))
}

func (p *printer) id(id string) {
	if p.plain {
		p.printf("#%d %s DONE %.1fs %s\n", p.cur, p.curText, time.Since(p.start).Seconds(), short(id))
		return
	}
	p.printf(" ---> %s\n", short(id))
}

func (p *printer) running(cid string) {
	if !p.plain {
		p.printf(" ---> Running in %s\n", short(strings.TrimPrefix(cid, "build-")))
	}
}

func (p *printer) removing(cid string) {
	if !p.plain {
		p.printf("Removing intermediate container %s\n", short(strings.TrimPrefix(cid, "build-")))
	}
}

func (p *printer) warn(msg string) { p.printf("%s\n", msg) }

// runWriter is where a RUN's output goes: as is, prefixed with the step
// number in plain mode, nowhere with -q.
func (p *printer) runWriter() io.Writer {
	if p.quiet {
		return io.Discard
	}
	if p.plain {
		return &prefixWriter{p: p, prefix: fmt.Sprintf("#%d ", p.cur)}
	}
	return writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.w.Write(b)
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

type prefixWriter struct {
	p      *printer
	prefix string
	buf    []byte
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.p.printf("%s%s\n", w.prefix, w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

// Flush writes a last line that had no newline.
func (w *prefixWriter) Flush() {
	if len(w.buf) > 0 {
		w.p.printf("%s%s\n", w.prefix, w.buf)
		w.buf = nil
	}
}
