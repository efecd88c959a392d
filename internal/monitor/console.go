package monitor

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// consoleSocket listens where the runtime sends the pty master (runc's
// --console-socket protocol: one SCM_RIGHTS message with the fd).
type consoleSocket struct {
	fd   int
	path string // short, valid while the socket is open
	file string
	done func()
}

func listenConsole(dir, name string) (*consoleSocket, error) {
	os.Remove(dir + "/" + name)
	path, done, err := ShortPath(dir, name)
	if err != nil {
		return nil, err
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		done()
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		done()
		return nil, err
	}
	if err := syscall.Listen(fd, 1); err != nil {
		syscall.Close(fd)
		done()
		return nil, err
	}
	return &consoleSocket{fd: fd, path: path, file: dir + "/" + name, done: done}, nil
}

// ReceivePty accepts one connection on a listening console socket and
// returns the pty master it carries. Exported for `jinn exec -t`.
func ReceivePty(lfd int) (*os.File, error) {
	cfd, _, err := syscall.Accept4(lfd, syscall.SOCK_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(cfd)
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	_, oobn, _, _, err := syscall.Recvmsg(cfd, buf, oob, syscall.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		fds, err := syscall.ParseUnixRights(&m)
		if err != nil || len(fds) == 0 {
			continue
		}
		for _, extra := range fds[1:] {
			syscall.Close(extra)
		}
		syscall.SetNonblock(fds[0], true)
		return os.NewFile(uintptr(fds[0]), "pty-master"), nil
	}
	return nil, errors.New("console socket: no fd received")
}

func (c *consoleSocket) close() {
	syscall.Close(c.fd)
	c.done()
	os.Remove(c.file)
}

func setWinsize(f *os.File, rows, cols uint16) {
	ws := struct{ Row, Col, X, Y uint16 }{rows, cols, 0, 0}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&ws)))
	})
}
