package runtime

import (
	"fmt"
	"os"

	"github.com/jinn-containers/jinn/internal/caps"
	"github.com/jinn-containers/jinn/internal/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// validateConfinement checks the confinement parts of a spec before
// anything is made, so a typo is a one-line error from create, not a
// half-started container: capability names, the seccomp profile,
// personality. It returns the seccomp program it compiled: the C init's
// plan takes it (the Go init compiles its own after the pivot). cache is
// compileSeccomp's.
func validateConfinement(s *specs.Spec, cache string) (*compiledSeccomp, error) {
	if err := validateProcessConfinement(s.Process); err != nil {
		return nil, err
	}
	var sc *compiledSeccomp
	if s.Linux.Seccomp != nil {
		prog, err := compileSeccomp(s.Linux.Seccomp, cache)
		if err != nil {
			return nil, err
		}
		sc = &compiledSeccomp{s.Linux.Seccomp, prog}
	}
	if p := s.Linux.Personality; p != nil {
		if _, err := personality(p); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

// compiledSeccomp is a spec's seccomp profile compiled when the spec was
// checked: docker's profile takes ~0.8 ms to compile, and create compiled
// it twice (the check, then the C init's plan).
type compiledSeccomp struct {
	src  *specs.LinuxSeccomp
	prog *seccomp.Program
}

// of is the program compiled from sc, nil if c holds another profile's.
func (c *compiledSeccomp) of(sc *specs.LinuxSeccomp) *seccomp.Program {
	if c == nil || c.src != sc {
		return nil
	}
	return c.prog
}

func validateProcessConfinement(p *specs.Process) error {
	if p.Capabilities != nil {
		if err := caps.Validate(p.Capabilities); err != nil {
			return err
		}
	}
	return checkLSM(p)
}

// checkLSM: jinn applies no LSM profiles. On a host where AppArmor or
// SELinux is enabled, ignoring a requested profile would silently weaken
// the container, so it is an error there; on hosts without them the fields
// are ignored with a warning, as runc does.
func checkLSM(p *specs.Process) error {
	if p.ApparmorProfile != "" {
		if b, _ := os.ReadFile("/sys/module/apparmor/parameters/enabled"); len(b) > 0 && b[0] == 'Y' {
			return fmt.Errorf("apparmorProfile %q: AppArmor profiles are not supported by jinn-runtime", p.ApparmorProfile)
		}
	}
	if p.SelinuxLabel != "" {
		if _, err := os.Stat("/sys/fs/selinux/enforce"); err == nil {
			return fmt.Errorf("selinuxLabel %q: SELinux labels are not supported by jinn-runtime", p.SelinuxLabel)
		}
	}
	return nil
}

// warnLSM tells that the LSM fields are ignored (checkLSM has refused them
// on hosts that have the LSM).
func (r *Runtime) warnLSM(p *specs.Process) {
	if p == nil || r.Log == nil {
		return
	}
	if p.ApparmorProfile != "" {
		r.Log.Warn("apparmorProfile ignored: AppArmor is not enabled on this host", "profile", p.ApparmorProfile)
	}
	if p.SelinuxLabel != "" {
		r.Log.Warn("selinuxLabel ignored: SELinux is not enabled on this host", "label", p.SelinuxLabel)
	}
}

// personality returns the personality(2) value of linux.personality.
func personality(p *specs.LinuxPersonality) (uintptr, error) {
	if len(p.Flags) > 0 {
		return 0, fmt.Errorf("linux.personality.flags %v: not supported", p.Flags)
	}
	switch p.Domain {
	case specs.PerLinux:
		return 0x0000, nil // PER_LINUX
	case specs.PerLinux32:
		return 0x0008, nil // PER_LINUX32
	}
	return 0, fmt.Errorf("linux.personality.domain %q: want LINUX or LINUX32", p.Domain)
}
