package runtime

import (
	"fmt"

	"github.com/jinn-containers/jinn/internal/caps"
	"github.com/jinn-containers/jinn/internal/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// confine is the last step before execve, in the container's init and in
// every exec'd process, on the thread that execs: personality,
// no_new_privs, seccomp, capabilities. Order matters:
//   - personality first: the filter may forbid personality(2).
//   - without no_new_privs, loading a filter needs CAP_SYS_ADMIN, so it goes
//     in while the permitted set still holds it (raised to effective: a
//     setuid to a non-root user cleared the effective set), before the sets
//     are cut down; the filter must then allow capset and prctl, as
//     Docker's does (runc has the same order).
//   - with no_new_privs, the filter goes in last, so as few of the
//     runtime's own syscalls as possible run under it.
//
// A SCMP_ACT_NOTIFY listener goes to the agent at listenerPath right after
// the filter is loaded (see notify.go).
func confine(p *specs.Process, l *specs.Linux) error {
	listener, err := confineSets(p, l)
	if err != nil {
		return err
	}
	if listener >= 0 {
		defer unix.Close(listener)
		return sendListener(l.Seccomp, listener)
	}
	return nil
}

func confineSets(p *specs.Process, l *specs.Linux) (int, error) {
	var sc *specs.LinuxSeccomp
	if l != nil {
		sc = l.Seccomp
		if l.Personality != nil {
			v, err := personality(l.Personality)
			if err != nil {
				return -1, err
			}
			if _, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, v, 0, 0); errno != 0 {
				return -1, fmt.Errorf("set personality %s: %w", l.Personality.Domain, errno)
			}
		}
	}
	var prog *seccomp.Program
	if sc != nil {
		var err error
		if prog, err = seccomp.Compile(sc); err != nil {
			return -1, err
		}
	}
	listener := -1
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return -1, fmt.Errorf("set no_new_privs: %w", err)
		}
	} else if prog != nil {
		if err := raiseEffective(); err != nil {
			return -1, err
		}
		fd, err := prog.Load()
		if err != nil {
			return -1, fmt.Errorf("load seccomp: %w", err)
		}
		listener = fd
	}
	if err := caps.Apply(p.Capabilities); err != nil {
		return -1, fmt.Errorf("apply capabilities: %w", err)
	}
	if p.NoNewPrivileges && prog != nil {
		fd, err := prog.Load()
		if err != nil {
			return -1, fmt.Errorf("load seccomp: %w", err)
		}
		listener = fd
	}
	return listener, nil
}

// raiseEffective copies the permitted set into the effective set.
func raiseEffective() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	data[0].Effective, data[1].Effective = data[0].Permitted, data[1].Permitted
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}
