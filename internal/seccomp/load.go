package seccomp

import (
	"encoding/json"
	"fmt"
	"net"

	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Load compiles cfg and installs it on the calling thread, which must be
// the one that calls execve (the container's process inherits it). It
// returns the notify listener fd when the profile uses SCMP_ACT_NOTIFY,
// else -1. A nil cfg loads nothing. Without no_new_privs the caller needs
// CAP_SYS_ADMIN in its effective set.
func Load(cfg *specs.LinuxSeccomp) (notifyFd int, err error) {
	if cfg == nil {
		return -1, nil
	}
	p, err := Compile(cfg)
	if err != nil {
		return -1, err
	}
	return p.Load()
}

// Load installs a compiled program; see the package Load.
func (p *Program) Load() (int, error) {
	flags := p.Flags
	if flags&unix.SECCOMP_FILTER_FLAG_TSYNC != 0 && flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 {
		// Both at once are only allowed when a sync failure is an error
		// rather than a thread id (there would be no way to return the fd).
		flags |= 1 << 4 // SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	}
	prog := unix.SockFprog{Len: uint16(len(p.Filter)), Filter: &p.Filter[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return -1, fmt.Errorf("seccomp(SET_MODE_FILTER, flags %#x): %w", flags, errno)
	}
	if p.Flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 {
		unix.CloseOnExec(int(r))
		return int(r), nil
	}
	return -1, nil
}

// SendListener hands a notify listener fd to the agent at listenerPath, as
// runc does: one message with the container process state as JSON and the
// fd as SCM_RIGHTS. It runs in the runtime (on the host), not the container.
func SendListener(listenerPath string, fd int, st specs.ContainerProcessState) error {
	st.Fds = []string{specs.SeccompFdName}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: listenerPath, Net: "unix"})
	if err != nil {
		return fmt.Errorf("connect to seccomp agent: %w", err)
	}
	defer c.Close()
	if _, _, err := c.WriteMsgUnix(b, unix.UnixRights(fd), nil); err != nil {
		return fmt.Errorf("send seccomp listener to %s: %w", listenerPath, err)
	}
	return nil
}
