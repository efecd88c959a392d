package v2

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Prepare checks r against the cgroup's controllers and files and returns
// the writes to make. r holds only the limits whose controllers are on
// cgroup2; the caller has checked the values' ranges.
func (m *Manager) Prepare(r *specs.LinuxResources) (*cgfs.Plan, error) {
	p := &cgfs.Plan{}
	if r == nil || isEmpty(r) {
		return p, nil
	}
	if _, err := os.Stat(m.dir); err != nil {
		return nil, fmt.Errorf("set limits: cgroup %s: %w", m.dir, err)
	}
	ctrls, err := m.Controllers()
	if err != nil {
		return nil, fmt.Errorf("set limits: %w", err)
	}
	s := &setter{m: m, p: p, ctrls: ctrls}
	for _, f := range []func(*specs.LinuxResources) error{
		s.memory, s.cpu, s.cpuset, s.pids, s.io, s.hugetlb, s.unified, s.devices,
	} {
		if err := f(r); err != nil {
			return nil, err
		}
	}
	if r.Network != nil && (r.Network.ClassID != nil || len(r.Network.Priorities) > 0) {
		return nil, fmt.Errorf("linux.resources.network: cgroup v2 has no net_cls or net_prio")
	}
	return p, nil
}

func isEmpty(r *specs.LinuxResources) bool {
	return r.Memory == nil && r.CPU == nil && r.Pids == nil && r.BlockIO == nil && len(r.Devices) == 0 &&
		len(r.HugepageLimits) == 0 && r.Network == nil && len(r.Unified) == 0 && len(r.Rdma) == 0
}

type setter struct {
	m     *Manager
	p     *cgfs.Plan
	ctrls map[string]bool
}

func (s *setter) need(field, ctrl string) error {
	if !s.ctrls[ctrl] {
		return fmt.Errorf("linux.resources.%s: the %s controller is not enabled in %s", field, ctrl, s.m.dir)
	}
	return nil
}

func (s *setter) write(file, data string) { s.p.Write(s.m.dir, file, data) }

// max formats a limit: -1 (or below) is "max".
func max(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

func (s *setter) memory(r *specs.LinuxResources) error {
	mem := r.Memory
	if mem == nil {
		return nil
	}
	if err := s.need("memory", "memory"); err != nil {
		return err
	}
	if mem.Swappiness != nil {
		return fmt.Errorf("linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness")
	}
	if mem.DisableOOMKiller != nil && *mem.DisableOOMKiller {
		return fmt.Errorf("linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer")
	}
	if mem.KernelTCP != nil && *mem.KernelTCP != 0 {
		return fmt.Errorf("linux.resources.memory.kernelTCP: cgroup v2 has no separate TCP memory limit")
	}
	if mem.Swap != nil && *mem.Swap != 0 {
		if !cgfs.Exists(s.m.dir, "memory.swap.max") {
			return fmt.Errorf("linux.resources.memory.swap: this kernel has no memory.swap.max (swap accounting is off)")
		}
		sw, err := SwapMax(mem.Limit, *mem.Swap)
		if err != nil {
			return err
		}
		// memory.swap.max is swap alone; the spec counts memory plus swap.
		s.write("memory.swap.max", sw)
	}
	if mem.Limit != nil && *mem.Limit != 0 {
		s.write("memory.max", max(*mem.Limit))
	}
	if mem.Reservation != nil && *mem.Reservation != 0 {
		s.write("memory.low", max(*mem.Reservation))
	}
	return nil
}

// SwapMax converts the spec's memory+swap limit to memory.swap.max.
func SwapMax(limit *int64, swap int64) (string, error) {
	if swap == -1 {
		return "max", nil
	}
	if limit == nil || *limit <= 0 {
		return "", fmt.Errorf("linux.resources.memory.swap %d: needs a memory.limit too", swap)
	}
	if swap < *limit {
		return "", fmt.Errorf("linux.resources.memory.swap %d: must be at least memory.limit %d", swap, *limit)
	}
	return strconv.FormatInt(swap-*limit, 10), nil
}

// SharesToWeight maps cpu.shares (2..262144, default 1024) onto cpu.weight
// (1..10000, default 100) linearly, as runc and crun do.
func SharesToWeight(shares uint64) uint64 {
	if shares == 0 {
		return 0
	}
	return 1 + ((shares-2)*9999)/262142
}

// BlkioToIOWeight maps blkio weight (10..1000) onto io.weight (1..10000).
func BlkioToIOWeight(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	return 1 + (uint64(w)-10)*9999/990
}

func (s *setter) cpu(r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil || (c.Shares == nil && c.Quota == nil && c.Period == nil && c.Burst == nil &&
		c.RealtimePeriod == nil && c.RealtimeRuntime == nil && c.Idle == nil) {
		return nil
	}
	if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 || c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0 {
		return fmt.Errorf("linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime group scheduling")
	}
	if err := s.need("cpu", "cpu"); err != nil {
		return err
	}
	if c.Shares != nil && *c.Shares != 0 {
		s.write("cpu.weight", strconv.FormatUint(SharesToWeight(*c.Shares), 10))
	}
	if (c.Quota != nil && *c.Quota != 0) || (c.Period != nil && *c.Period != 0) {
		// cpu.max holds both; keep the half that is not being changed.
		cur, err := cgfs.Read(s.m.dir, "cpu.max")
		if err != nil {
			return fmt.Errorf("linux.resources.cpu: %w", err)
		}
		quota, period, _ := strings.Cut(cur, " ")
		if c.Quota != nil && *c.Quota != 0 {
			quota = max(*c.Quota)
		}
		if c.Period != nil && *c.Period != 0 {
			period = strconv.FormatUint(*c.Period, 10)
		}
		s.write("cpu.max", quota+" "+period)
	}
	if c.Burst != nil {
		if !cgfs.Exists(s.m.dir, "cpu.max.burst") {
			return fmt.Errorf("linux.resources.cpu.burst: this kernel has no cpu.max.burst")
		}
		s.write("cpu.max.burst", strconv.FormatUint(*c.Burst, 10))
	}
	if c.Idle != nil {
		if !cgfs.Exists(s.m.dir, "cpu.idle") {
			return fmt.Errorf("linux.resources.cpu.idle: this kernel has no cpu.idle")
		}
		s.write("cpu.idle", strconv.FormatInt(*c.Idle, 10))
	}
	return nil
}

func (s *setter) cpuset(r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil || (c.Cpus == "" && c.Mems == "") {
		return nil
	}
	if err := s.need("cpu.cpus", "cpuset"); err != nil {
		return err
	}
	if c.Cpus != "" {
		s.write("cpuset.cpus", c.Cpus)
	}
	if c.Mems != "" {
		s.write("cpuset.mems", c.Mems)
	}
	return nil
}

func (s *setter) pids(r *specs.LinuxResources) error {
	if r.Pids == nil || r.Pids.Limit == nil {
		return nil
	}
	if err := s.need("pids", "pids"); err != nil {
		return err
	}
	v := "max"
	if *r.Pids.Limit > 0 {
		v = strconv.FormatInt(*r.Pids.Limit, 10)
	}
	s.write("pids.max", v)
	return nil
}

func (s *setter) io(r *specs.LinuxResources) error {
	b := r.BlockIO
	if b == nil {
		return nil
	}
	if err := s.need("blockIO", "io"); err != nil {
		return err
	}
	weight := "io.bfq.weight"
	if !cgfs.Exists(s.m.dir, weight) {
		weight = "io.weight"
	}
	if b.Weight != nil && *b.Weight != 0 {
		if *b.Weight < 10 || *b.Weight > 1000 {
			return fmt.Errorf("linux.resources.blockIO.weight %d: must be 10 to 1000", *b.Weight)
		}
		if !cgfs.Exists(s.m.dir, weight) {
			return fmt.Errorf("linux.resources.blockIO.weight: this kernel has no io.weight")
		}
		w := uint64(*b.Weight)
		if weight == "io.weight" {
			w = BlkioToIOWeight(*b.Weight)
		}
		s.write(weight, "default "+strconv.FormatUint(w, 10))
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		return fmt.Errorf("linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight")
	}
	for i, wd := range b.WeightDevice {
		if wd.Weight == nil {
			continue
		}
		if *wd.Weight < 10 || *wd.Weight > 1000 {
			return fmt.Errorf("linux.resources.blockIO.weightDevice[%d].weight %d: must be 10 to 1000", i, *wd.Weight)
		}
		w := uint64(*wd.Weight)
		if weight == "io.weight" {
			w = BlkioToIOWeight(*wd.Weight)
		}
		s.p.WriteDevice(s.m.dir, weight, fmt.Sprintf("%d:%d", wd.Major, wd.Minor), strconv.FormatUint(w, 10), "default")
	}
	// io.max takes one line per device with any of its four keys.
	type key struct{ major, minor int64 }
	lines := map[key][]string{}
	var order []key
	add := func(l []specs.LinuxThrottleDevice, name string) {
		for _, t := range l {
			k := key{t.Major, t.Minor}
			if _, ok := lines[k]; !ok {
				order = append(order, k)
			}
			v := strconv.FormatUint(t.Rate, 10)
			if t.Rate == 0 {
				v = "max"
			}
			lines[k] = append(lines[k], name+"="+v)
		}
	}
	add(b.ThrottleReadBpsDevice, "rbps")
	add(b.ThrottleWriteBpsDevice, "wbps")
	add(b.ThrottleReadIOPSDevice, "riops")
	add(b.ThrottleWriteIOPSDevice, "wiops")
	for _, k := range order {
		s.p.WriteDevice(s.m.dir, "io.max", fmt.Sprintf("%d:%d", k.major, k.minor),
			strings.Join(lines[k], " "), "rbps=max wbps=max riops=max wiops=max")
	}
	return nil
}

func (s *setter) hugetlb(r *specs.LinuxResources) error {
	if len(r.HugepageLimits) == 0 {
		return nil
	}
	if err := s.need("hugepageLimits", "hugetlb"); err != nil {
		return err
	}
	for i, h := range r.HugepageLimits {
		b, err := cgfs.ParsePageSize(h.Pagesize)
		if err != nil {
			return fmt.Errorf("linux.resources.hugepageLimits[%d].pageSize: %w", i, err)
		}
		f := "hugetlb." + cgfs.PageSizeName(b) + ".max"
		if !cgfs.Exists(s.m.dir, f) {
			return fmt.Errorf("linux.resources.hugepageLimits[%d].pageSize %s: the host has no such hugepage size", i, h.Pagesize)
		}
		s.write(f, strconv.FormatUint(h.Limit, 10))
		// Limit reservations too where the kernel counts them, so that a
		// mapping fails at mmap rather than with SIGBUS at fault time.
		if rs := "hugetlb." + cgfs.PageSizeName(b) + ".rsvd.max"; cgfs.Exists(s.m.dir, rs) {
			s.write(rs, strconv.FormatUint(h.Limit, 10))
		}
	}
	return nil
}

// psi files exist in every cgroup2 cgroup without a controller.
var coreFiles = map[string]bool{"cpu.pressure": true, "io.pressure": true, "memory.pressure": true, "irq.pressure": true}

func (s *setter) unified(r *specs.LinuxResources) error {
	keys := make([]string, 0, len(r.Unified))
	for k := range r.Unified {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ctrl, _, _ := strings.Cut(k, ".")
		if !cgfs.Exists(s.m.dir, k) {
			if !s.ctrls[ctrl] {
				return fmt.Errorf("linux.resources.unified[%q]: the %s controller is not enabled in %s", k, ctrl, s.m.dir)
			}
			return fmt.Errorf("linux.resources.unified[%q]: no such cgroup2 file", k)
		}
		if !coreFiles[k] && !s.ctrls[ctrl] {
			return fmt.Errorf("linux.resources.unified[%q]: the %s controller is not enabled in %s", k, ctrl, s.m.dir)
		}
		if strings.ContainsAny(r.Unified[k], "\x00") {
			return fmt.Errorf("linux.resources.unified[%q]: value has a NUL byte", k)
		}
		s.write(k, r.Unified[k])
	}
	return nil
}
