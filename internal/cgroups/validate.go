package cgroups

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The kernel's own bounds, and jinn's floor for a memory limit: below
// 1 MiB not even a shell starts, so such a limit is a typo, not a wish.
const (
	MinMemory   = 1 << 20
	minShares   = 2
	maxShares   = 262144
	minPeriod   = 1000    // µs
	maxPeriod   = 1000000 // µs
	minQuota    = 1000    // µs
	maxPidLimit = 1 << 22 // PID_MAX_LIMIT
)

// Validate checks the values of r that do not depend on the host, with
// no I/O, so a caller can refuse bad input before it starts anything.
// Set checks them again, with the rest.
func Validate(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	return validate(r)
}

// validate checks the values in r that do not depend on the hierarchy.
// Errors name the config.json field.
func validate(r *specs.LinuxResources) error {
	if m := r.Memory; m != nil {
		if err := checkBytes("linux.resources.memory.limit", m.Limit, MinMemory); err != nil {
			return err
		}
		if err := checkBytes("linux.resources.memory.reservation", m.Reservation, 0); err != nil {
			return err
		}
		if err := checkBytes("linux.resources.memory.swap", m.Swap, MinMemory); err != nil {
			return err
		}
		if err := checkBytes("linux.resources.memory.kernelTCP", m.KernelTCP, 0); err != nil {
			return err
		}
		if m.Limit != nil && m.Swap != nil && *m.Limit > 0 && *m.Swap > 0 && *m.Swap < *m.Limit {
			return fmt.Errorf("linux.resources.memory.swap %d: must be at least memory.limit %d (it counts memory plus swap)", *m.Swap, *m.Limit)
		}
		if m.Swap != nil && *m.Swap > 0 && (m.Limit == nil || *m.Limit == -1) {
			return fmt.Errorf("linux.resources.memory.swap %d: needs a memory.limit too", *m.Swap)
		}
		if m.Swappiness != nil && *m.Swappiness > 100 {
			return fmt.Errorf("linux.resources.memory.swappiness %d: must be 0 to 100", *m.Swappiness)
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 && (*c.Shares < minShares || *c.Shares > maxShares) {
			return fmt.Errorf("linux.resources.cpu.shares %d: must be %d to %d", *c.Shares, minShares, maxShares)
		}
		if c.Period != nil && *c.Period != 0 && (*c.Period < minPeriod || *c.Period > maxPeriod) {
			return fmt.Errorf("linux.resources.cpu.period %d: must be %d to %d µs", *c.Period, minPeriod, maxPeriod)
		}
		if c.Quota != nil && *c.Quota != -1 && *c.Quota != 0 && (*c.Quota < minQuota || *c.Quota > 1<<44) {
			return fmt.Errorf("linux.resources.cpu.quota %d: must be -1 (no limit) or %d µs to about 200 days", *c.Quota, minQuota)
		}
		if c.Burst != nil && c.Quota != nil && *c.Quota > 0 && *c.Burst > uint64(*c.Quota) {
			return fmt.Errorf("linux.resources.cpu.burst %d: must not exceed cpu.quota %d", *c.Burst, *c.Quota)
		}
		if c.RealtimeRuntime != nil && *c.RealtimeRuntime < -1 {
			return fmt.Errorf("linux.resources.cpu.realtimeRuntime %d: must be -1 or more", *c.RealtimeRuntime)
		}
		if c.Idle != nil && *c.Idle != 0 && *c.Idle != 1 {
			return fmt.Errorf("linux.resources.cpu.idle %d: must be 0 or 1", *c.Idle)
		}
		if err := checkList("linux.resources.cpu.cpus", c.Cpus); err != nil {
			return err
		}
		if err := checkList("linux.resources.cpu.mems", c.Mems); err != nil {
			return err
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil && (*p.Limit < -1 || *p.Limit > maxPidLimit) {
		return fmt.Errorf("linux.resources.pids.limit %d: must be -1 (no limit) to %d", *p.Limit, maxPidLimit)
	}
	if b := r.BlockIO; b != nil {
		for i, d := range b.WeightDevice {
			if d.Major < 0 || d.Minor < 0 {
				return fmt.Errorf("linux.resources.blockIO.weightDevice[%d]: negative device number %d:%d", i, d.Major, d.Minor)
			}
		}
		for name, l := range map[string][]specs.LinuxThrottleDevice{
			"throttleReadBpsDevice": b.ThrottleReadBpsDevice, "throttleWriteBpsDevice": b.ThrottleWriteBpsDevice,
			"throttleReadIOPSDevice": b.ThrottleReadIOPSDevice, "throttleWriteIOPSDevice": b.ThrottleWriteIOPSDevice,
		} {
			for i, d := range l {
				if d.Major < 0 || d.Minor < 0 {
					return fmt.Errorf("linux.resources.blockIO.%s[%d]: negative device number %d:%d", name, i, d.Major, d.Minor)
				}
			}
		}
	}
	for i, d := range r.Devices {
		if err := checkDevice(d); err != nil {
			return fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
	}
	for i, h := range r.HugepageLimits {
		if _, err := PageSizeBytes(h.Pagesize); err != nil {
			return fmt.Errorf("linux.resources.hugepageLimits[%d].pageSize: %w", i, err)
		}
	}
	if n := r.Network; n != nil {
		for i, p := range n.Priorities {
			if p.Name == "" || strings.ContainsAny(p.Name, " \n/") {
				return fmt.Errorf("linux.resources.network.priorities[%d].name %q: not an interface name", i, p.Name)
			}
		}
	}
	for k := range r.Unified {
		ctrl, file, ok := strings.Cut(k, ".")
		if !ok || ctrl == "" || file == "" || strings.ContainsAny(k, "/\x00") {
			return fmt.Errorf("linux.resources.unified[%q]: not a cgroup2 file name", k)
		}
		if ctrl == "cgroup" {
			return fmt.Errorf("linux.resources.unified[%q]: cgroup core files are the runtime's to manage", k)
		}
	}
	if len(r.Rdma) > 0 {
		return fmt.Errorf("linux.resources.rdma: not supported by jinn")
	}
	return nil
}

func checkBytes(field string, v *int64, min int64) error {
	if v == nil || *v == -1 || (*v == 0 && min > 0) {
		return nil
	}
	if *v < 0 {
		return fmt.Errorf("%s %d: must be -1 (no limit) or a number of bytes", field, *v)
	}
	if *v < min {
		return fmt.Errorf("%s %d: below the minimum of %d bytes", field, *v, min)
	}
	if *v > 1<<62 {
		return fmt.Errorf("%s %d: absurdly large", field, *v)
	}
	return nil
}

// checkList checks a cpuset list such as "0-3,5".
func checkList(field, s string) error {
	if s == "" {
		return nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return fmt.Errorf("%s %q: not a list like 0-3,5", field, s)
		}
		if isRange {
			b, err := strconv.ParseUint(hi, 10, 16)
			if err != nil || b < a {
				return fmt.Errorf("%s %q: not a list like 0-3,5", field, s)
			}
		}
	}
	return nil
}

func checkDevice(d specs.LinuxDeviceCgroup) error {
	switch d.Type {
	case "", "a", "b", "c":
	default:
		return fmt.Errorf("type %q: must be a, b or c", d.Type)
	}
	for _, c := range d.Access {
		if c != 'r' && c != 'w' && c != 'm' {
			return fmt.Errorf("access %q: must be letters of rwm", d.Access)
		}
	}
	if d.Major != nil && *d.Major < -1 || d.Minor != nil && *d.Minor < -1 {
		return fmt.Errorf("negative device number")
	}
	return nil
}

// PageSizeBytes parses a hugepage size such as "2MB" or "1GB".
func PageSizeBytes(s string) (uint64, error) { return cgfs.ParsePageSize(s) }
