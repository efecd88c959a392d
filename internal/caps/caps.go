// Package caps applies the five capability sets of an OCI process.
package caps

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// byName maps "CAP_SYS_ADMIN" style names to numbers. Built on first use:
// jinn links this package for every command, and most never look a
// capability up (91 allocations at each start otherwise).
var byName = sync.OnceValue(func() map[string]capability.Cap {
	m := map[string]capability.Cap{}
	for _, c := range capability.ListKnown() {
		m["CAP_"+strings.ToUpper(c.String())] = c
	}
	return m
})

// Known lists every capability name jinn knows, for `features`.
func Known() []string {
	out := make([]string, 0, len(capability.ListKnown()))
	for _, c := range capability.ListKnown() {
		out = append(out, "CAP_"+strings.ToUpper(c.String()))
	}
	return out
}

// sets is the five sets as bit masks.
type sets struct {
	bounding, effective, permitted, inheritable, ambient uint64
}

// Validate checks every name in c, so a typo fails create with a clear
// error instead of a container with other privileges than asked for.
func Validate(c *specs.LinuxCapabilities) error {
	_, err := parse(c, 63)
	return err
}

func parse(c *specs.LinuxCapabilities, last capability.Cap) (sets, error) {
	var s sets
	for _, x := range []struct {
		name  string
		names []string
		mask  *uint64
	}{
		{"bounding", c.Bounding, &s.bounding}, {"effective", c.Effective, &s.effective},
		{"permitted", c.Permitted, &s.permitted}, {"inheritable", c.Inheritable, &s.inheritable},
		{"ambient", c.Ambient, &s.ambient},
	} {
		for _, n := range x.names {
			cp, ok := byName()[strings.ToUpper(n)]
			if !ok {
				return s, fmt.Errorf("unknown capability %q in the %s set", n, x.name)
			}
			if cp > last {
				// Known to jinn, not to this kernel: nothing to grant or drop.
				slog.Warn("capability not supported by the kernel, ignored", "cap", n, "set", x.name)
				continue
			}
			*x.mask |= 1 << uint(cp)
		}
	}
	return s, nil
}

// Apply sets the bounding, effective, permitted, inheritable and ambient
// sets of the calling thread to exactly c. A nil c changes nothing. The
// caller must still hold CAP_SETPCAP in its permitted set (a setuid with
// PR_SET_KEEPCAPS keeps it) if the bounding set is to shrink.
func Apply(c *specs.LinuxCapabilities) error {
	if c == nil {
		return nil
	}
	last, err := capability.LastCap()
	if err != nil {
		return fmt.Errorf("read last capability: %w", err)
	}
	want, err := parse(c, last)
	if err != nil {
		return err
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	// Dropping from the bounding set needs CAP_SETPCAP in effective; a
	// setuid away from root cleared the effective set, so raise it again
	// from permitted first.
	data[0].Effective, data[1].Effective = data[0].Permitted, data[1].Permitted
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("raise effective capabilities: %w", err)
	}
	for i := capability.Cap(0); i <= last; i++ {
		if want.bounding&(1<<uint(i)) != 0 {
			continue
		}
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(i), 0, 0, 0)
		if err != nil {
			return fmt.Errorf("read bounding set: %w", err)
		}
		if in == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(i), 0, 0, 0); err != nil {
			return fmt.Errorf("drop %s from the bounding set: %w", capName(i), err)
		}
	}
	split := func(m uint64) (uint32, uint32) { return uint32(m), uint32(m >> 32) }
	data[0].Effective, data[1].Effective = split(want.effective)
	data[0].Permitted, data[1].Permitted = split(want.permitted)
	data[0].Inheritable, data[1].Inheritable = split(want.inheritable)
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("set capabilities (effective %#x, permitted %#x, inheritable %#x): %w",
			want.effective, want.permitted, want.inheritable, err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	for i := capability.Cap(0); i <= last; i++ {
		if want.ambient&(1<<uint(i)) == 0 {
			continue
		}
		// The kernel only raises an ambient capability that is permitted
		// and inheritable; runc's default spec asks for ambient ones
		// without inheritable, and runc goes on with a warning in its log: so do we (debug level,
		// as the init's stderr is the container's).
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(i), 0, 0); err != nil {
			slog.Debug("cannot raise ambient capability (it must be permitted and inheritable)", "cap", capName(i), "err", err)
		}
	}
	return nil
}

func capName(c capability.Cap) string { return "CAP_" + strings.ToUpper(c.String()) }

// Bounding returns the names of the capabilities in the calling process's
// bounding set (CapBnd of /proc/self/status). --privileged and --cap-add
// ALL grant these and no more, as docker does: a capability the engine
// itself cannot hold cannot be given to a container, and asking for it
// makes capset fail.
func Bounding() (map[string]bool, error) {
	c, err := capability.NewPid2(0)
	if err != nil {
		return nil, fmt.Errorf("read the bounding set: %w", err)
	}
	if err := c.Load(); err != nil {
		return nil, fmt.Errorf("read the bounding set: %w", err)
	}
	out := map[string]bool{}
	for _, cp := range capability.ListKnown() {
		if c.Get(capability.BOUNDING, cp) {
			out[capName(cp)] = true
		}
	}
	return out, nil
}

// Masks returns c's five sets as bit masks (bounding, effective,
// permitted, inheritable, ambient) for this kernel, and its last
// capability: what Apply would set, for the C init to apply itself.
func Masks(c *specs.LinuxCapabilities) ([5]uint64, int, error) {
	last, err := capability.LastCap()
	if err != nil {
		return [5]uint64{}, 0, fmt.Errorf("read last capability: %w", err)
	}
	s, err := parse(c, last)
	if err != nil {
		return [5]uint64{}, 0, err
	}
	return [5]uint64{s.bounding, s.effective, s.permitted, s.inheritable, s.ambient}, int(last), nil
}
