package v1

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Prepare checks r against the v1 hierarchies and the existing cgroup's
// files and returns the writes to make. r holds only the limits whose
// controllers are on v1; the caller has checked the values' ranges.
func (m *Manager) Prepare(r *specs.LinuxResources) (*cgfs.Plan, error) {
	p := &cgfs.Plan{}
	if r == nil {
		return p, nil
	}
	for _, f := range []func(*cgfs.Plan, *specs.LinuxResources) error{
		m.memory, m.cpu, m.cpuset, m.pids, m.blkio, m.hugetlb, m.network, m.devices,
	} {
		if err := f(p, r); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// dir returns the cgroup's directory for ctrl, which must exist.
func (m *Manager) dir(field, ctrl string) (string, error) {
	d, ok := m.dirs[ctrl]
	if !ok {
		return "", fmt.Errorf("linux.resources.%s: the host has no %s cgroup controller", field, ctrl)
	}
	if _, err := os.Stat(d); err != nil {
		return "", fmt.Errorf("linux.resources.%s: cgroup %s: %w", field, d, err)
	}
	return d, nil
}

func need(field, dir, file string) error {
	if !cgfs.Exists(dir, file) {
		return fmt.Errorf("linux.resources.%s: this kernel has no %s", field, file)
	}
	return nil
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func (m *Manager) memory(p *cgfs.Plan, r *specs.LinuxResources) error {
	mem := r.Memory
	if mem == nil {
		return nil
	}
	d, err := m.dir("memory", "memory")
	if err != nil {
		return err
	}
	limit := func() {
		if mem.Limit != nil && *mem.Limit != 0 {
			p.Write(d, "memory.limit_in_bytes", itoa(*mem.Limit))
		}
	}
	if mem.Swap != nil && *mem.Swap != 0 {
		if err := need("memory.swap", d, "memory.memsw.limit_in_bytes"); err != nil {
			return err
		}
		// memsw must never drop below the memory limit, so the order of
		// the two writes depends on whether swap grows or shrinks.
		cur, err := cgfs.ReadUint(d, "memory.memsw.limit_in_bytes")
		if err != nil {
			return fmt.Errorf("linux.resources.memory.swap: %w", err)
		}
		if *mem.Swap == -1 || uint64(*mem.Swap) >= cur {
			p.Write(d, "memory.memsw.limit_in_bytes", itoa(*mem.Swap))
			limit()
		} else {
			limit()
			p.Write(d, "memory.memsw.limit_in_bytes", itoa(*mem.Swap))
		}
	} else {
		if mem.Limit != nil && *mem.Limit != 0 && cgfs.Exists(d, "memory.memsw.limit_in_bytes") {
			// The kernel refuses a memory limit above memory+swap with a
			// bare EINVAL: say which field to give.
			cur, err := cgfs.ReadUint(d, "memory.memsw.limit_in_bytes")
			if err == nil && cur < 1<<62 && (*mem.Limit == -1 || uint64(*mem.Limit) > cur) {
				return fmt.Errorf("linux.resources.memory.limit %d: above the memory+swap limit %d in force; give memory.swap too", *mem.Limit, cur)
			}
		}
		limit()
	}
	if mem.Reservation != nil && *mem.Reservation != 0 {
		p.Write(d, "memory.soft_limit_in_bytes", itoa(*mem.Reservation))
	}
	if mem.KernelTCP != nil && *mem.KernelTCP != 0 {
		if err := need("memory.kernelTCP", d, "memory.kmem.tcp.limit_in_bytes"); err != nil {
			return err
		}
		p.Write(d, "memory.kmem.tcp.limit_in_bytes", itoa(*mem.KernelTCP))
	}
	if mem.Swappiness != nil {
		p.Write(d, "memory.swappiness", strconv.FormatUint(*mem.Swappiness, 10))
	}
	if mem.DisableOOMKiller != nil {
		v := "0"
		if *mem.DisableOOMKiller {
			v = "1"
		}
		// memory.oom_control reads back as several lines; undo by value.
		was := "0"
		if s, err := cgfs.ReadKeyed(d, "memory.oom_control"); err == nil && s["oom_kill_disable"] == 1 {
			was = "1"
		}
		p.Func(func() error { return cgfs.Write(d, "memory.oom_control", v) },
			func() error { return cgfs.Write(d, "memory.oom_control", was) })
	}
	return nil
}

func (m *Manager) cpu(p *cgfs.Plan, r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil || (c.Shares == nil && c.Quota == nil && c.Period == nil && c.Burst == nil &&
		c.RealtimePeriod == nil && c.RealtimeRuntime == nil && c.Idle == nil) {
		return nil
	}
	d, err := m.dir("cpu", "cpu")
	if err != nil {
		return err
	}
	if c.Shares != nil && *c.Shares != 0 {
		p.Write(d, "cpu.shares", strconv.FormatUint(*c.Shares, 10))
	}
	if c.Period != nil && *c.Period != 0 {
		p.Write(d, "cpu.cfs_period_us", strconv.FormatUint(*c.Period, 10))
	}
	if c.Quota != nil && *c.Quota != 0 {
		p.Write(d, "cpu.cfs_quota_us", itoa(*c.Quota))
	}
	if c.Burst != nil {
		if err := need("cpu.burst", d, "cpu.cfs_burst_us"); err != nil {
			return err
		}
		p.Write(d, "cpu.cfs_burst_us", strconv.FormatUint(*c.Burst, 10))
	}
	if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
		if err := need("cpu.realtimePeriod", d, "cpu.rt_period_us"); err != nil {
			return err
		}
		p.Write(d, "cpu.rt_period_us", strconv.FormatUint(*c.RealtimePeriod, 10))
	}
	if c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0 {
		if err := need("cpu.realtimeRuntime", d, "cpu.rt_runtime_us"); err != nil {
			return err
		}
		p.Write(d, "cpu.rt_runtime_us", itoa(*c.RealtimeRuntime))
	}
	if c.Idle != nil {
		if err := need("cpu.idle", d, "cpu.idle"); err != nil {
			return err
		}
		p.Write(d, "cpu.idle", itoa(*c.Idle))
	}
	return nil
}

func (m *Manager) cpuset(p *cgfs.Plan, r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil || (c.Cpus == "" && c.Mems == "") {
		return nil
	}
	d, err := m.dir("cpu.cpus", "cpuset")
	if err != nil {
		return err
	}
	if c.Cpus != "" {
		p.Write(d, "cpuset.cpus", c.Cpus)
	}
	if c.Mems != "" {
		p.Write(d, "cpuset.mems", c.Mems)
	}
	return nil
}

func (m *Manager) pids(p *cgfs.Plan, r *specs.LinuxResources) error {
	if r.Pids == nil || r.Pids.Limit == nil {
		return nil
	}
	d, err := m.dir("pids", "pids")
	if err != nil {
		return err
	}
	v := "max"
	if *r.Pids.Limit > 0 {
		v = itoa(*r.Pids.Limit)
	}
	p.Write(d, "pids.max", v)
	return nil
}

func (m *Manager) blkio(p *cgfs.Plan, r *specs.LinuxResources) error {
	b := r.BlockIO
	if b == nil {
		return nil
	}
	d, err := m.dir("blockIO", "blkio")
	if err != nil {
		return err
	}
	// CFQ's blkio.weight is gone from current kernels; BFQ's takes its place.
	weight, weightDev := "blkio.weight", "blkio.weight_device"
	if !cgfs.Exists(d, weight) {
		weight, weightDev = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	if b.Weight != nil && *b.Weight != 0 {
		if *b.Weight < 10 || *b.Weight > 1000 {
			return fmt.Errorf("linux.resources.blockIO.weight %d: must be 10 to 1000", *b.Weight)
		}
		if err := need("blockIO.weight", d, weight); err != nil {
			return fmt.Errorf("%w (the host's I/O scheduler has no weights)", err)
		}
		p.Write(d, weight, strconv.Itoa(int(*b.Weight)))
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		return fmt.Errorf("linux.resources.blockIO.leafWeight: removed from the kernel with CFQ")
	}
	for i, wd := range b.WeightDevice {
		if wd.Weight == nil {
			continue
		}
		if *wd.Weight < 10 || *wd.Weight > 1000 {
			return fmt.Errorf("linux.resources.blockIO.weightDevice[%d].weight %d: must be 10 to 1000", i, *wd.Weight)
		}
		if err := need(fmt.Sprintf("blockIO.weightDevice[%d]", i), d, weightDev); err != nil {
			return err
		}
		p.WriteDevice(d, weightDev, fmt.Sprintf("%d:%d", wd.Major, wd.Minor), strconv.Itoa(int(*wd.Weight)), "0")
	}
	for _, t := range []struct {
		file string
		l    []specs.LinuxThrottleDevice
	}{
		{"blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	} {
		for _, td := range t.l {
			p.WriteDevice(d, t.file, fmt.Sprintf("%d:%d", td.Major, td.Minor), strconv.FormatUint(td.Rate, 10), "0")
		}
	}
	return nil
}

func (m *Manager) hugetlb(p *cgfs.Plan, r *specs.LinuxResources) error {
	if len(r.HugepageLimits) == 0 {
		return nil
	}
	d, err := m.dir("hugepageLimits", "hugetlb")
	if err != nil {
		return err
	}
	for i, h := range r.HugepageLimits {
		b, err := cgfs.ParsePageSize(h.Pagesize)
		if err != nil {
			return fmt.Errorf("linux.resources.hugepageLimits[%d].pageSize: %w", i, err)
		}
		f := "hugetlb." + cgfs.PageSizeName(b) + ".limit_in_bytes"
		if err := need(fmt.Sprintf("hugepageLimits[%d].pageSize %s", i, h.Pagesize), d, f); err != nil {
			return err
		}
		p.Write(d, f, strconv.FormatUint(h.Limit, 10))
	}
	return nil
}

func (m *Manager) network(p *cgfs.Plan, r *specs.LinuxResources) error {
	n := r.Network
	if n == nil {
		return nil
	}
	if n.ClassID != nil {
		d, err := m.dir("network.classID", "net_cls")
		if err != nil {
			return err
		}
		p.Write(d, "net_cls.classid", strconv.FormatUint(uint64(*n.ClassID), 10))
	}
	if len(n.Priorities) > 0 {
		d, err := m.dir("network.priorities", "net_prio")
		if err != nil {
			return err
		}
		for _, pr := range n.Priorities {
			p.WriteDevice(d, "net_prio.ifpriomap", pr.Name, strconv.FormatUint(uint64(pr.Priority), 10), "0")
		}
	}
	return nil
}

// devices writes the rules in order; undo puts devices.list back.
func (m *Manager) devices(p *cgfs.Plan, r *specs.LinuxResources) error {
	if len(r.Devices) == 0 {
		return nil
	}
	d, err := m.dir("devices", "devices")
	if err != nil {
		return err
	}
	var old string
	p.Save(func() error {
		var err error
		old, err = cgfs.Read(d, "devices.list")
		return err
	}, func() error {
		if err := cgfs.Write(d, "devices.deny", "a"); err != nil {
			return err
		}
		for _, l := range strings.Split(old, "\n") {
			if l != "" {
				if err := cgfs.Write(d, "devices.allow", l); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for _, dev := range r.Devices {
		file := "devices.deny"
		if dev.Allow {
			file = "devices.allow"
		}
		rule := DeviceRule(dev)
		p.WriteOnly(d, file, rule)
	}
	return nil
}

// DeviceRule is a v1 devices.allow/deny line: "c 1:3 rwm".
func DeviceRule(dev specs.LinuxDeviceCgroup) string {
	t := dev.Type
	if t == "" {
		t = "a"
	}
	access := dev.Access
	if access == "" {
		access = "rwm"
	}
	return fmt.Sprintf("%s %s:%s %s", t, cgfs.DevNum(dev.Major), cgfs.DevNum(dev.Minor), access)
}

var _ = filepath.Join
