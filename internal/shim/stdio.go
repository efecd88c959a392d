package shim

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/ocicli"
)

// stdio connects a process to containerd's fifos. Without a terminal the
// process gets the stdout and stderr fifos themselves (no copy, no
// goroutine), and its stdin from a pipe that a copy fills from the stdin
// fifo: the fifo's writer (containerd) connects only once we open it, and
// a process reading it before then would see end of file. With a terminal
// the shim copies between the pty master and the fifos.
type stdio struct {
	stdin, stdout, stderr string
	terminal              bool

	files   []*os.File // the process's 0, 1, 2 until it has them
	keep    []*os.File // read ends that keep the output fifos from EPIPE
	stdinW  *os.File   // our end of the stdin pipe (no terminal)
	inFifo  *os.File
	console *os.File // the pty master (terminal)
	remote  *os.File // the process's end of the console socket
	local   *os.File
	outDone chan struct{} // closed when the output copy ended (terminal)
	once    sync.Once
	mu      sync.Mutex
}

func newStdio(stdin, stdout, stderr string, terminal bool) (*stdio, error) {
	s := &stdio{stdin: stdin, stdout: stdout, stderr: stderr, terminal: terminal, outDone: make(chan struct{})}
	if terminal {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		s.local, s.remote = os.NewFile(uintptr(fds[0]), "console"), os.NewFile(uintptr(fds[1]), "console-remote")
		s.files = []*os.File{nil, nil, nil}
		return s, nil
	}
	close(s.outDone)
	s.files = make([]*os.File, 3)
	if stdin != "" {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		s.files[0], s.stdinW = r, w
	}
	for i, path := range []string{stdout, stderr} {
		if path == "" {
			continue
		}
		if i == 1 && path == stdout {
			s.files[2] = s.files[1]
			continue
		}
		w, keep, err := openOutput(path)
		if err != nil {
			s.close()
			return nil, err
		}
		s.files[1+i], s.keep = w, append(s.keep, keep)
	}
	return s, nil
}

// openOutput opens an output for the process: containerd's fifo, with a
// read end for us that keeps its writes from failing while containerd's
// reader is away (a restart: they block instead, once the pipe is full);
// or, for a "file://" URI (ctr --log-uri), the file, appended to.
//
// The write end is opened first, waiting (at most readerWait) for
// containerd's reader: containerd starts opening it, blocking, before it
// asks for the process, and a process that ended before that open returned
// would leave it blocked for ever (no writer comes again): an exec of
// `exit 3` whose end never reached crictl. Our own reader, opened after,
// ends a wait for a client that never reads.
func openOutput(path string) (w, keep *os.File, err error) {
	if file, ok, err := outputFile(path); ok || err != nil {
		return file, nil, err
	}
	type opened struct {
		f   *os.File
		err error
	}
	wc := make(chan opened, 1)
	go func() {
		f, err := os.OpenFile(path, unix.O_WRONLY, 0)
		wc <- opened{f, err}
	}()
	var o opened
	select {
	case o = <-wc:
	case <-time.After(readerWait):
	}
	keep, err = os.OpenFile(path, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if o.f == nil && o.err == nil {
		if err != nil {
			return nil, nil, err // the open returns when a reader comes
		}
		o = <-wc // our reader lets the open return
	}
	if err == nil {
		err = o.err
	}
	if err != nil {
		if keep != nil {
			keep.Close()
		}
		if o.f != nil {
			o.f.Close()
		}
		return nil, nil, err
	}
	return o.f, keep, nil
}

// readerWait bounds openOutput's wait for containerd's reader.
const readerWait = time.Second

// outputFile opens a "file://" output; ok is false for a plain path (a
// fifo). Logging binaries ("binary://") are not supported.
func outputFile(path string) (f *os.File, ok bool, err error) {
	scheme, _, found := strings.Cut(path, "://")
	if !found {
		return nil, false, nil
	}
	if scheme != "file" {
		return nil, true, fmt.Errorf("output %s: only fifos and file:// are supported by jinn-shim", path)
	}
	u, err := url.Parse(path)
	if err != nil || u.Host != "" || !filepath.IsAbs(u.Path) {
		return nil, true, fmt.Errorf("output %s: not an absolute file:// URI", path)
	}
	f, err = os.OpenFile(u.Path, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0o640)
	return f, true, err
}

// started is called once the process runs: it closes the process's ends
// and starts the copies.
func (s *stdio) started() error {
	for i, f := range s.files {
		if f != nil && (i != 2 || f != s.files[1]) {
			f.Close()
		}
	}
	s.files = nil
	if s.stdin != "" && !s.terminal {
		go s.copyStdin(s.stdinW)
	}
	if !s.terminal {
		return nil
	}
	s.remote.Close()
	master, err := ocicli.RecvFd(s.local)
	s.local.Close()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.console = master
	s.mu.Unlock()
	if s.stdin != "" {
		go s.copyStdin(master)
	}
	go func() {
		defer close(s.outDone)
		if s.stdout == "" {
			io.Copy(io.Discard, master)
			return
		}
		out, isFile, err := outputFile(s.stdout)
		if !isFile {
			out, err = os.OpenFile(s.stdout, unix.O_WRONLY, 0)
		}
		if err != nil {
			io.Copy(io.Discard, master)
			return
		}
		defer out.Close()
		io.Copy(out, master) // ends with EIO when the last slave closes
	}()
	return nil
}

// copyStdin copies the stdin fifo to dst (the pipe, or the pty master);
// end of file closes the pipe, so the process sees it.
func (s *stdio) copyStdin(dst *os.File) {
	in, err := os.OpenFile(s.stdin, unix.O_RDONLY, 0) // waits for the writer
	if err != nil {
		return
	}
	s.mu.Lock()
	s.inFifo = in
	s.mu.Unlock()
	io.Copy(dst, in)
	if !s.terminal {
		s.closeStdin()
	}
}

// closeStdin is CloseIO: the process sees end of file on its stdin.
func (s *stdio) closeStdin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stdinW != nil {
		s.stdinW.Close()
		s.stdinW = nil
	}
	if s.terminal && s.console != nil {
		// EOF on a terminal is ^D at the start of a line.
		s.console.Write([]byte{4})
	}
}

func (s *stdio) resize(w, h uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.console == nil {
		return errors.New("the process has no terminal")
	}
	return unix.IoctlSetWinsize(int(s.console.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: uint16(h), Col: uint16(w)})
}

// drain waits a little for a terminal's output copy after the process
// exited, so its last lines reach the fifo before the exit is reported.
func (s *stdio) drain() {
	select {
	case <-s.outDone:
	case <-time.After(2 * time.Second):
	}
}

// close releases everything (the process is gone, or never started).
func (s *stdio) close() {
	s.once.Do(func() {
		for i, f := range s.files {
			if f != nil && (i != 2 || f != s.files[1]) {
				f.Close()
			}
		}
		for _, f := range append(s.keep, s.local, s.remote) {
			if f != nil {
				f.Close()
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, f := range []*os.File{s.stdinW, s.inFifo, s.console} {
			if f != nil {
				f.Close()
			}
		}
		s.stdinW, s.inFifo, s.console = nil, nil, nil
	})
}
