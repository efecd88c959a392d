package ocicli

import (
	"errors"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// consoleRelay is run's and exec's own console socket when no
// --console-socket is given: it takes the pty master and copies it to and
// from the runtime's stdio, with the user's terminal in raw mode.
type consoleRelay struct {
	local, remote *os.File
	master        *os.File
	saved         *unix.Termios
	done          chan struct{}
}

func newConsoleRelay() (*consoleRelay, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &consoleRelay{local: os.NewFile(uintptr(fds[0]), "console"),
		remote: os.NewFile(uintptr(fds[1]), "console-remote"), done: make(chan struct{})}, nil
}

func (r *consoleRelay) start() error {
	r.remote.Close()
	master, err := RecvFd(r.local)
	if err != nil {
		return err
	}
	r.master = master
	in := int(os.Stdin.Fd())
	if t, err := unix.IoctlGetTermios(in, unix.TCGETS); err == nil {
		r.saved = t
		raw := *t
		raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		raw.Oflag &^= unix.OPOST
		raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		raw.Cflag &^= unix.CSIZE | unix.PARENB
		raw.Cflag |= unix.CS8
		unix.IoctlSetTermios(in, unix.TCSETS, &raw)
		if ws, err := unix.IoctlGetWinsize(in, unix.TIOCGWINSZ); err == nil {
			unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
		}
	}
	go io.Copy(master, os.Stdin)
	go func() {
		io.Copy(os.Stdout, master)
		close(r.done)
	}()
	return nil
}

func (r *consoleRelay) stop() {
	if r.master != nil {
		select {
		case <-r.done:
		case <-time.After(200 * time.Millisecond):
		}
		r.master.Close()
		r.master = nil
	}
	if r.saved != nil {
		unix.IoctlSetTermios(int(os.Stdin.Fd()), unix.TCSETS, r.saved)
		r.saved = nil
	}
}

// RecvFd receives one fd sent with SCM_RIGHTS, as a console socket does.
func RecvFd(sock *os.File) (*os.File, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, errors.New("console socket: no fd received")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, errors.New("console socket: no fd received")
	}
	return os.NewFile(uintptr(fds[0]), string(buf[:n])), nil
}
