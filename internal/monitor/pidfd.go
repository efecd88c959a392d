package monitor

import (
	"os"

	"golang.org/x/sys/unix"
)

// A process's exit is awaited on a pidfd in Go's netpoller, not in a
// blocking poll(2) or through os/signal: each of those parks an OS thread
// for good (os/signal's receiver sleeps in the runtime outside the
// netpoller), and every thread costs each monitor a kernel stack, a
// task_struct and Go's g0 and signal stacks: ~40 KiB a container.

// pidfdOpen opens a non-blocking pidfd of pid, or returns an error:
// ESRCH when pid is gone (reaped), ENOSYS before Linux 5.3.
func pidfdOpen(pid int) (*os.File, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err == unix.EINVAL {
		// Before Linux 5.10 the flag is unknown; pidfds poll since 5.3.
		if fd, err = unix.PidfdOpen(pid, 0); err == nil {
			err = unix.SetNonblock(fd, true)
			if err != nil {
				unix.Close(fd)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	// A non-blocking fd given to NewFile goes into the netpoller.
	return os.NewFile(uintptr(fd), "pidfd"), nil
}

// waitExit returns when the process behind the pidfd has exited (its
// pidfd polls readable), without holding a thread meanwhile; it closes f.
func waitExit(f *os.File) {
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		// Done on an exit, and on an error (never wait for good on one).
		return err != unix.EINTR && (err != nil || n > 0)
	})
}
