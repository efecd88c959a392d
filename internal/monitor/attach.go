package monitor

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// Attach protocol on attach.sock: frames of [type byte][uint32 BE length][payload].
// Monitor → client: FrameStdout, FrameStderr, FrameExit (payload: decimal exit code).
// Client → monitor: FrameStdin, FrameCloseStdin, FrameResize (rows, cols as uint16 BE).
const (
	FrameStdin      = 0
	FrameStdout     = 1
	FrameStderr     = 2
	FrameExit       = 3
	FrameCloseStdin = 4
	FrameResize     = 5
	FrameStart      = 6 // client → monitor: start the created container
	FrameStarted    = 7 // monitor → client: payload empty, or the error
	FrameRemoved    = 8 // client → monitor: it removed the container (--rm)
	// FrameDeleted, monitor → client: the runtime's delete is done (after
	// an exit frame "CODE rm+", see hub.announce).
	FrameDeleted = 9
)

// WriteFrame writes one frame.
func WriteFrame(w io.Writer, typ byte, p []byte) error {
	var h [5]byte
	h[0] = typ
	binary.BigEndian.PutUint32(h[1:], uint32(len(p)))
	if _, err := w.Write(append(h[:], p...)); err != nil {
		return err
	}
	return nil
}

// ReadFrame reads one frame; payloads over 1 MiB are refused.
func ReadFrame(r io.Reader) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > 1<<20 {
		return 0, nil, errors.New("attach: frame too large")
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, err
	}
	return h[0], p, nil
}

// hub fans the container's output out to attached clients and feeds their
// input to the container.
type hub struct {
	mu      sync.Mutex
	clients map[*client]struct{}
	stdin   *os.File // pipe write end or pty master; nil without -i/-t
	tty     bool
	size    []byte // the last window size asked for, applied to a new pty
	exited  bool
	code    int
	// announced: the exit went out early as "CODE rm+" (announce), so
	// finish sends FrameDeleted instead.
	announced bool
	startCh   chan *client  // start requests from clients
	removed   chan struct{} // a client did the --rm cleanup
	writers   sync.WaitGroup
}

type client struct {
	f   *os.File
	out chan []byte
}

func newHub() *hub {
	return &hub{clients: map[*client]struct{}{}, startCh: make(chan *client, 4), removed: make(chan struct{}, 1)}
}

// frame encodes one frame: type, big-endian length, payload.
func frame(typ byte, p []byte) []byte {
	fr := make([]byte, 5+len(p))
	fr[0] = typ
	binary.BigEndian.PutUint32(fr[1:], uint32(len(p)))
	copy(fr[5:], p)
	return fr
}

// reply sends one frame to one client.
func (h *hub) reply(c *client, typ byte, p []byte) {
	fr := frame(typ, p)
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		select {
		case c.out <- fr:
		default:
		}
	}
}

func (h *hub) setStdin(f *os.File, tty bool) {
	h.mu.Lock()
	h.stdin, h.tty = f, tty
	size := h.size
	h.mu.Unlock()
	// The client sent its terminal's size when it attached, before the
	// container (and its pty) existed.
	if f != nil && tty && len(size) == 4 {
		setWinsize(f, binary.BigEndian.Uint16(size), binary.BigEndian.Uint16(size[2:]))
	}
}

// stallLimit is how long a client that reads nothing may hold the
// container's output back before it is dropped.
const stallLimit = 10 * time.Second

// broadcast sends a frame to every client. A client slower than the
// container holds it back, as docker's attach does: `jinn run ... | slow`
// must get every byte. Only a client that takes nothing for stallLimit is
// dropped (a dead connection is drained by its writer, so it never stalls).
func (h *hub) broadcast(typ byte, p []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) == 0 {
		return
	}
	fr := frame(typ, p)
	for c := range h.clients {
		if !c.send(fr) {
			delete(h.clients, c)
			close(c.out)
		}
	}
}

// send queues a frame, waiting up to stallLimit for room.
func (c *client) send(fr []byte) bool {
	select {
	case c.out <- fr:
		return true
	default:
	}
	t := time.NewTimer(stallLimit)
	defer t.Stop()
	select {
	case c.out <- fr:
		return true
	case <-t.C:
		return false
	}
}

// finish sends the exit code to every client and closes them. With
// delegate (--rm), the payload says "CODE rm": an attached client removes
// the container in its own process, saving the monitor an exec of jinn; finish
// reports whether one did (if all leave without saying so, the monitor must).
func (h *hub) finish(code int, delegate bool) (removed bool) {
	p := itoa(code)
	if delegate {
		p += " rm"
	}
	typ := byte(FrameExit)
	h.mu.Lock()
	if h.announced {
		typ, p = FrameDeleted, ""
	}
	h.mu.Unlock()
	fr := frame(typ, []byte(p))
	h.mu.Lock()
	h.exited, h.code = true, code
	n := len(h.clients)
	for c := range h.clients {
		// Behind the output still queued: a slow client gets it too.
		if !c.send(fr) {
			delete(h.clients, c)
			close(c.out)
			n--
		}
	}
	h.mu.Unlock()
	if delegate && n > 0 {
		deadline := time.After(time.Minute)
	wait:
		for {
			select {
			case <-h.removed:
				removed = true
				break wait
			case <-deadline:
				break wait
			case <-time.After(20 * time.Millisecond):
				h.mu.Lock()
				n = len(h.clients)
				h.mu.Unlock()
				if n == 0 {
					select {
					case <-h.removed:
						removed = true
					default:
					}
					break wait
				}
			}
		}
	}
	h.mu.Lock()
	for c := range h.clients {
		delete(h.clients, c)
		close(c.out)
	}
	h.mu.Unlock()
	h.writers.Wait()
	return removed
}

// announce sends the exit code of a --rm container to the attached
// clients before the runtime's delete, as "CODE rm+": a client removes
// what the delete does not touch (mounts, snapshot, network, records)
// while the delete runs, then waits for FrameDeleted (sent by finish) to
// remove the state and runtime directories. Clients attaching later get a
// plain exit frame.
func (h *hub) announce(code int) {
	p := itoa(code) + " rm+"
	fr := frame(FrameExit, []byte(p))
	h.mu.Lock()
	defer h.mu.Unlock()
	h.exited, h.code, h.announced = true, code, true
	for c := range h.clients {
		if !c.send(fr) {
			delete(h.clients, c)
			close(c.out)
		}
	}
}

// listen serves attach.sock without the net package: a non-blocking socket
// wrapped in os.File uses the runtime poller.
func (h *hub) listen(dir, name string) error {
	os.Remove(dir + "/" + name)
	path, done, err := ShortPath(dir, name)
	if err != nil {
		return err
	}
	defer done()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return err
	}
	if err := syscall.Listen(fd, 16); err != nil {
		syscall.Close(fd)
		return err
	}
	lf := os.NewFile(uintptr(fd), name)
	rc, err := lf.SyscallConn()
	if err != nil {
		return err
	}
	go func() {
		for {
			var nfd int
			var aerr error
			err := rc.Read(func(s uintptr) bool {
				nfd, _, aerr = syscall.Accept4(int(s), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
				return aerr != syscall.EAGAIN
			})
			if err != nil {
				return
			}
			if aerr != nil {
				continue
			}
			h.serve(os.NewFile(uintptr(nfd), "attach"))
		}
	}()
	return nil
}

func (h *hub) serve(f *os.File) {
	c := &client{f: f, out: make(chan []byte, 512)}
	h.mu.Lock()
	if h.exited {
		code := h.code
		h.mu.Unlock()
		WriteFrame(f, FrameExit, []byte(itoa(code)))
		f.Close()
		return
	}
	h.clients[c] = struct{}{}
	h.writers.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.writers.Done()
		for fr := range c.out {
			if _, err := f.Write(fr); err != nil {
				f.Close()
				for range c.out {
					// Gone: drain, so that broadcast never waits on it.
				}
				return
			}
		}
		f.Close()
	}()
	go func() {
		for {
			typ, p, err := ReadFrame(f)
			if err != nil {
				h.mu.Lock()
				if _, ok := h.clients[c]; ok {
					delete(h.clients, c)
					close(c.out)
				}
				h.mu.Unlock()
				return
			}
			h.mu.Lock()
			in, tty := h.stdin, h.tty
			h.mu.Unlock()
			switch typ {
			case FrameRemoved:
				select {
				case h.removed <- struct{}{}:
				default:
				}
			case FrameStart:
				select {
				case h.startCh <- c:
				default:
				}
			case FrameStdin:
				if in != nil {
					in.Write(p)
				}
			case FrameCloseStdin:
				if in != nil && !tty {
					in.Close()
					h.setStdin(nil, false)
				}
			case FrameResize:
				if len(p) != 4 {
					break
				}
				h.mu.Lock()
				h.size = p
				h.mu.Unlock()
				if in != nil && tty {
					setWinsize(in, binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:]))
				}
			}
		}
	}()
}

func itoa(n int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// ShortPath returns a path for dir/name under the 108-byte limit of unix
// socket addresses: /proc/PID/fd/N/name with an O_PATH fd of dir, valid
// (for this and other processes) until done is called.
func ShortPath(dir, name string) (string, func(), error) {
	fd, err := syscall.Open(dir, 0x200000 /* O_PATH */ |syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	return "/proc/" + itoa(os.Getpid()) + "/fd/" + itoa(fd) + "/" + name, func() { syscall.Close(fd) }, nil
}
