package apiserver

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Stream ids of stdcopy framing (dockerd's multiplexed stream).
const (
	streamStdin  = 0
	streamStdout = 1
	streamStderr = 2
)

// muxWriter frames writes as stdcopy does: 8 header bytes (stream id,
// three zero bytes, big-endian length) and the payload. Without framing
// (a TTY) it writes raw. A failed write cancels the stream.
type muxWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	stream byte
	raw    bool
	flush  func()
	fail   func()
}

func (m *muxWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	if m.raw {
		_, err = m.w.Write(p)
	} else {
		var h [8]byte
		h[0] = m.stream
		binary.BigEndian.PutUint32(h[4:], uint32(len(p)))
		if _, err = m.w.Write(h[:]); err == nil {
			_, err = m.w.Write(p)
		}
	}
	if err == nil && m.flush != nil {
		m.flush()
	}
	if err != nil {
		if m.fail != nil {
			m.fail()
		}
		return 0, err
	}
	return len(p), nil
}

// streams returns stdout and stderr writers over w sharing one lock.
func streams(w io.Writer, raw bool, flush, fail func()) (stdout, stderr *muxWriter) {
	mu := &sync.Mutex{}
	return &muxWriter{mu: mu, w: w, stream: streamStdout, raw: raw, flush: flush, fail: fail},
		&muxWriter{mu: mu, w: w, stream: streamStderr, raw: raw, flush: flush, fail: fail}
}

// mediaType is what dockerd answers a stream with (API 1.42 and later
// name the multiplexed one).
func mediaType(tty bool, version string) string {
	if tty || versionLess(version, "1.42") {
		return "application/vnd.docker.raw-stream"
	}
	return "application/vnd.docker.multiplexed-stream"
}

// hijacked is a connection taken over from the HTTP server for attach
// and exec: the answer is 101 UPGRADED when the client asked to upgrade,
// else 200, and then the raw streams flow both ways.
type hijacked struct {
	conn    net.Conn
	rw      *bufio.ReadWriter
	ctx     context.Context
	cancel  context.CancelFunc
	once    sync.Once
	hupOnce sync.Once
}

func hijack(ctx context.Context, w http.ResponseWriter, r *http.Request, contentType string) (*hijacked, error) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, errors.New("connection cannot be hijacked")
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return nil, err
	}
	// Requests before the hijack had a deadline; streams have none.
	conn.SetDeadline(noDeadline)
	if r.Header.Get("Upgrade") != "" {
		fmt.Fprintf(rw, "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", contentType)
	} else {
		fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n\r\n", contentType)
	}
	if err := rw.Flush(); err != nil {
		conn.Close()
		return nil, err
	}
	h := &hijacked{conn: conn, rw: rw}
	h.ctx, h.cancel = context.WithCancel(ctx)
	return h, nil
}

func (h *hijacked) writers(tty bool) (stdout, stderr *muxWriter) {
	return streams(h.conn, tty, nil, h.cancel)
}

// watchClose cancels the stream when the client goes away. EOF is not
// the end: clients without stdin half-close at once and read on. A unix
// socket whose peer closed for good polls POLLHUP (a half-close does
// not); on tcp a gone client is seen at the next write.
func (h *hijacked) watchClose() {
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := h.rw.Read(buf); err != nil {
				if err != io.EOF {
					h.cancel()
					return
				}
				break
			}
		}
		h.watchHup()
	}()
}

// watchHup polls a unix socket for its peer's close until the stream ends.
func (h *hijacked) watchHup() {
	sc, ok := h.conn.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		hup := false
		raw.Control(func(fd uintptr) {
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			if n, err := unix.Poll(pfd, 0); err == nil && n > 0 && pfd[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0 {
				hup = true
			}
		})
		if hup {
			h.cancel()
			return
		}
	}
}

// stdin is the client's input: what the HTTP server buffered, then the
// connection. A read error other than EOF ends the stream.
func (h *hijacked) stdin() io.Reader {
	return readerFunc(func(p []byte) (int, error) {
		n, err := h.rw.Read(p)
		if err == io.EOF {
			h.hupOnce.Do(func() { go h.watchHup() })
		} else if err != nil {
			h.cancel()
		}
		return n, err
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// close ends the stream: the client sees EOF on its output.
func (h *hijacked) close() {
	h.once.Do(func() {
		h.cancel()
		if cw, ok := h.conn.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		h.conn.Close()
	})
}

// noDeadline clears a connection's deadlines.
var noDeadline time.Time
