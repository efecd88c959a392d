package runtime

import (
	"fmt"

	"github.com/jinn-containers/jinn/internal/caps"
	"github.com/jinn-containers/jinn/internal/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// confine is the last step before execve, in the container's init and in
// every exec'd process: no_new_privs, capabilities, seccomp. Order matters:
// without no_new_privs, loading a filter needs CAP_SYS_ADMIN, so it goes in
// while the permitted set still holds it (raised to effective: setuid to a
// non-root user cleared the effective set); with no_new_privs, the filter
// goes in last so it never has to allow the runtime's own syscalls.
func confine(p *specs.Process, l *specs.Linux) error {
	var sc *specs.LinuxSeccomp
	if l != nil {
		sc = l.Seccomp
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
	} else if sc != nil {
		if err := raiseEffective(); err != nil {
			return err
		}
		if _, err := seccomp.Load(sc); err != nil {
			return fmt.Errorf("load seccomp: %w", err)
		}
	}
	if err := caps.Apply(p.Capabilities); err != nil {
		return fmt.Errorf("apply capabilities: %w", err)
	}
	if p.NoNewPrivileges && sc != nil {
		if _, err := seccomp.Load(sc); err != nil {
			return fmt.Errorf("load seccomp: %w", err)
		}
	}
	return nil
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
