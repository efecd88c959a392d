package v1

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fakeHierarchies lays out one directory per controller like v1 cgroupfs,
// with the container's cgroup jinn/c1 already made.
func fakeHierarchies(t *testing.T) (map[string]string, *Manager) {
	t.Helper()
	root := t.TempDir()
	files := map[string]map[string]string{
		"memory": {"memory.limit_in_bytes": "9223372036854771712", "memory.memsw.limit_in_bytes": "9223372036854771712",
			"memory.soft_limit_in_bytes": "9223372036854771712", "memory.swappiness": "60",
			"memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2", "memory.kmem.tcp.limit_in_bytes": "9223372036854771712",
			"memory.usage_in_bytes": "1000", "memory.stat": "cache 5\ntotal_cache 7\nrss 9", "memory.failcnt": "4"},
		"cpu":     {"cpu.shares": "1024", "cpu.cfs_quota_us": "-1", "cpu.cfs_period_us": "100000", "cpu.cfs_burst_us": "0", "cpu.rt_runtime_us": "0", "cpu.rt_period_us": "1000000", "cpu.idle": "0", "cpu.stat": "nr_periods 3\nnr_throttled 1\nthrottled_time 99"},
		"cpuacct": {"cpuacct.usage": "12345", "cpuacct.usage_percpu": "12000 345", "cpuacct.stat": "user 3\nsystem 1"},
		"cpuset":  {"cpuset.cpus": "0-1", "cpuset.mems": "0"},
		"pids":    {"pids.max": "max", "pids.current": "2"},
		"blkio":   {"blkio.bfq.weight": "100", "blkio.bfq.weight_device": "", "blkio.throttle.read_bps_device": "", "blkio.throttle.write_iops_device": "8:0 7"},
		"devices": {"devices.allow": "", "devices.deny": "", "devices.list": "a *:* rwm"},
		"hugetlb": {"hugetlb.2MB.limit_in_bytes": "9223372036854771712"},
		"net_cls": {"net_cls.classid": "0"}, "net_prio": {"net_prio.ifpriomap": "lo 0"},
	}
	mounts := map[string]string{}
	for c, fs := range files {
		mounts[c] = filepath.Join(root, c)
		d := filepath.Join(root, c, "jinn", "c1")
		os.MkdirAll(d, 0o755)
		for f, v := range fs {
			os.WriteFile(filepath.Join(d, f), []byte(v), 0o644)
		}
	}
	return mounts, New(mounts, "jinn/c1")
}

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }

func set(m *Manager, r *specs.LinuxResources) error {
	p, err := m.Prepare(r)
	if err != nil {
		return err
	}
	return p.Commit()
}

func get(t *testing.T, m *Manager, ctrl, f string) string {
	t.Helper()
	d, _ := m.Dir(ctrl)
	s, err := cgfs.Read(d, f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSetFake(t *testing.T) {
	_, m := fakeHierarchies(t)
	major, minor := int64(1), int64(3)
	dis := true
	classID := uint32(0x100001)
	r := &specs.LinuxResources{
		Memory:         &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(128 << 20), Reservation: i64(1 << 20), Swappiness: u64(0), DisableOOMKiller: &dis, KernelTCP: i64(1 << 20)},
		CPU:            &specs.LinuxCPU{Shares: u64(2), Quota: i64(1000), Period: u64(1000), Cpus: "1", Mems: "0", RealtimeRuntime: i64(500), RealtimePeriod: u64(1000)},
		Pids:           &specs.LinuxPids{Limit: i64(7)},
		BlockIO:        &specs.LinuxBlockIO{Weight: u16(10), WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(200)}}, ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 99}}},
		Devices:        []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: &major, Minor: &minor, Access: "rw"}},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 2 << 20}},
		Network:        &specs.LinuxNetwork{ClassID: &classID, Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}},
	}
	if err := set(m, r); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", "67108864"}, {"memory", "memory.memsw.limit_in_bytes", "134217728"},
		{"memory", "memory.soft_limit_in_bytes", "1048576"}, {"memory", "memory.swappiness", "0"},
		{"memory", "memory.oom_control", "1"}, {"memory", "memory.kmem.tcp.limit_in_bytes", "1048576"},
		{"cpu", "cpu.shares", "2"}, {"cpu", "cpu.cfs_quota_us", "1000"}, {"cpu", "cpu.cfs_period_us", "1000"},
		{"cpu", "cpu.rt_runtime_us", "500"}, {"cpu", "cpu.rt_period_us", "1000"},
		{"cpuset", "cpuset.cpus", "1"}, {"pids", "pids.max", "7"},
		{"blkio", "blkio.bfq.weight", "10"}, {"blkio", "blkio.bfq.weight_device", "8:0 200"},
		{"blkio", "blkio.throttle.read_bps_device", "8:0 99"},
		{"devices", "devices.allow", "c 1:3 rw"}, {"devices", "devices.deny", "a *:* rwm"},
		{"hugetlb", "hugetlb.2MB.limit_in_bytes", "2097152"},
		{"net_cls", "net_cls.classid", "1048577"}, {"net_prio", "net_prio.ifpriomap", "eth0 5"},
	} {
		if got := get(t, m, c.ctrl, c.file); got != c.want {
			t.Errorf("%s = %q, want %q", c.file, got, c.want)
		}
	}
}

func TestSetFakeRefusedAndRolledBack(t *testing.T) {
	mounts, m := fakeHierarchies(t)
	if _, err := m.Prepare(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(5)}}); err == nil || !strings.Contains(err.Error(), "blockIO.weight") {
		t.Errorf("weight 5: %v", err)
	}
	if _, err := m.Prepare(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "1GB"}}}); err == nil || !strings.Contains(err.Error(), "hugepageLimits[0]") {
		t.Errorf("1GB pages: %v", err)
	}
	delete(mounts, "net_cls")
	if _, err := New(mounts, "jinn/c1").Prepare(&specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: new(uint32)}}); err == nil || !strings.Contains(err.Error(), "network.classID") {
		t.Errorf("no net_cls: %v", err)
	}
	// pids.max turned into a directory: the write fails after the memory
	// limit was written, which must be put back.
	d, _ := m.Dir("pids")
	os.Remove(filepath.Join(d, "pids.max"))
	os.Mkdir(filepath.Join(d, "pids.max"), 0o755)
	if err := set(m, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20)}, Pids: &specs.LinuxPids{Limit: i64(3)}}); err == nil {
		t.Fatal("Set succeeded")
	}
	if got := get(t, m, "memory", "memory.limit_in_bytes"); got != "9223372036854771712" {
		t.Errorf("memory.limit_in_bytes %s after failed Set", got)
	}
}

func TestStatsFake(t *testing.T) {
	_, m := fakeHierarchies(t)
	s := &cgfs.Stats{}
	if err := m.Stats(s); err != nil {
		t.Fatal(err)
	}
	if s.Memory.Usage.Usage != 1000 || s.Memory.Cache != 7 || s.Memory.OOMKill != 2 || s.CPU.Usage.Total != 12345 ||
		len(s.CPU.Usage.Percpu) != 2 || s.CPU.Usage.User != 30000000 || s.CPU.Throttling.ThrottledTime != 99 || s.Pids.Current != 2 {
		t.Errorf("stats %+v", s)
	}
}

// PrepareFresh orders the memory writes for a new cgroup (memsw
// unlimited: the limit first), whatever the cgroup holds now: the run
// plan is made after the run limited it, and replayed on a new one.
func TestPrepareFreshMemoryOrder(t *testing.T) {
	_, m := fakeHierarchies(t)
	d, _ := m.Dir("memory")
	os.WriteFile(filepath.Join(d, "memory.memsw.limit_in_bytes"), []byte("33554432"), 0o644)
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(16 << 20), Swap: i64(32 << 20)}}
	order := func(p *cgfs.Plan, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		w, _ := p.Writes()
		var files []string
		for _, x := range w {
			files = append(files, x.File)
		}
		return strings.Join(files, " ")
	}
	if got := order(m.Prepare(r)); got != "memory.memsw.limit_in_bytes memory.limit_in_bytes" {
		t.Errorf("on the limited cgroup: %s", got)
	}
	if got := order(m.PrepareFresh(r)); got != "memory.limit_in_bytes memory.memsw.limit_in_bytes" {
		t.Errorf("fresh: %s", got)
	}
}
