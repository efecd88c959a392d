package v2

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	"github.com/jinn-containers/jinn/internal/cgroups/v2/devfilter"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fakeCgroup lays out dir like a cgroup2 cgroup with the usual controllers.
func fakeCgroup(t *testing.T) (mount string, m *Manager) {
	t.Helper()
	mount = t.TempDir()
	files := map[string]string{
		"cgroup.controllers": "cpuset cpu io memory hugetlb pids", "cgroup.subtree_control": "",
		"memory.max": "max", "memory.low": "0", "memory.swap.max": "max", "memory.current": "4096",
		"memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0",
		"memory.stat":   "anon 1024\nfile 2048", "memory.peak": "8192",
		"cpu.weight": "100", "cpu.max": "max 100000", "cpu.max.burst": "0", "cpu.idle": "0",
		"cpu.stat":    "usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 5\nnr_throttled 2\nthrottled_usec 7",
		"cpuset.cpus": "", "cpuset.mems": "", "pids.max": "max", "pids.current": "3",
		"io.weight": "default 100", "io.max": "", "io.stat": "8:0 rbytes=10 wbytes=20 rios=1 wios=2",
		"hugetlb.2MB.max": "max", "hugetlb.2MB.current": "0", "cgroup.procs": "",
	}
	dir := filepath.Join(mount, "jinn", "c1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, v := range files {
		for _, d := range []string{dir, filepath.Join(mount, "jinn")} {
			if err := os.WriteFile(filepath.Join(d, f), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return mount, New(mount, "jinn", "jinn/c1")
}

func get(t *testing.T, m *Manager, f string) string {
	t.Helper()
	s, err := cgfs.Read(m.Dir(), f)
	if err != nil {
		t.Fatal(err)
	}
	return s
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

func TestSetFake(t *testing.T) {
	_, m := fakeCgroup(t)
	r := &specs.LinuxResources{
		Memory:         &specs.LinuxMemory{Limit: i64(64 << 20), Reservation: i64(32 << 20), Swap: i64(96 << 20)},
		CPU:            &specs.LinuxCPU{Shares: u64(1024), Quota: i64(20000), Cpus: "0-1", Mems: "0", Burst: u64(1000)},
		Pids:           &specs.LinuxPids{Limit: i64(10)},
		BlockIO:        &specs.LinuxBlockIO{Weight: u16(500), ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1000}}, ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 50}}},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
		Unified:        map[string]string{"memory.high": "50000000"},
	}
	os.WriteFile(filepath.Join(m.Dir(), "memory.high"), []byte("max"), 0o644)
	if err := set(m, r); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{
		"memory.max": "67108864", "memory.low": "33554432", "memory.swap.max": "33554432",
		"cpu.weight": "39", "cpu.max": "20000 100000", "cpu.max.burst": "1000", "cpuset.cpus": "0-1", "cpuset.mems": "0",
		"pids.max": "10", "io.weight": "default 4950", "io.max": "8:0 rbps=1000 wiops=50",
		"hugetlb.2MB.max": "4194304", "memory.high": "50000000",
	} {
		if got := get(t, m, f); got != want {
			t.Errorf("%s = %q, want %q", f, got, want)
		}
	}
	// Period alone keeps the quota.
	if err := set(m, &specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64(50000)}}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, "cpu.max"); got != "20000 50000" {
		t.Errorf("cpu.max %q", got)
	}
	if err := set(m, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}, Pids: &specs.LinuxPids{Limit: i64(-1)}}); err != nil {
		t.Fatal(err)
	}
	if get(t, m, "memory.max") != "max" || get(t, m, "pids.max") != "max" {
		t.Error("-1 did not write max")
	}
}

func TestSharesToWeight(t *testing.T) {
	for shares, w := range map[uint64]uint64{2: 1, 1024: 39, 262144: 10000} {
		if got := SharesToWeight(shares); got != w {
			t.Errorf("shares %d: weight %d, want %d", shares, got, w)
		}
	}
}

func TestSetFakeRefused(t *testing.T) {
	_, m := fakeCgroup(t)
	for _, c := range []struct {
		r     *specs.LinuxResources
		field string
	}{
		{&specs.LinuxResources{Unified: map[string]string{"memory.bogus": "1"}}, `unified["memory.bogus"]`},
		{&specs.LinuxResources{Unified: map[string]string{"rdma.max": "1"}}, "rdma controller"},
		{&specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(10)}}, "swappiness"},
		{&specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: i64(100)}}, "realtimeRuntime"},
		{&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "1GB"}}}, "hugepageLimits[0]"},
		{&specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: new(uint32)}}, "network"},
	} {
		if _, err := m.Prepare(c.r); err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("want an error naming %s, got %v", c.field, err)
		}
	}
	// A write that fails half-way puts back the ones before it.
	os.Remove(filepath.Join(m.Dir(), "pids.max"))
	os.Mkdir(filepath.Join(m.Dir(), "pids.max"), 0o755)
	err := set(m, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20)}, Pids: &specs.LinuxPids{Limit: i64(5)}})
	if err == nil {
		t.Fatal("write to a directory succeeded")
	}
	if got := get(t, m, "memory.max"); got != "max" {
		t.Errorf("memory.max %q after a failed Set, want it rolled back to max", got)
	}
}

func TestStatsFake(t *testing.T) {
	_, m := fakeCgroup(t)
	s := &cgfs.Stats{}
	if err := m.Stats(s); err != nil {
		t.Fatal(err)
	}
	if s.Memory.Usage.Usage != 4096 || s.Memory.OOMKill != 1 || s.CPU.Usage.Total != 100000 ||
		s.CPU.Throttling.ThrottledPeriods != 2 || s.Pids.Current != 3 || len(s.Blkio.IoServiceBytesRecursive) != 2 {
		t.Errorf("stats %+v", s)
	}
	if n, err := m.OOMKills(); err != nil || n != 1 {
		t.Errorf("OOM kills %d, %v", n, err)
	}
}

func TestCreateEnablesControllersFake(t *testing.T) {
	mount, _ := fakeCgroup(t)
	m := New(mount, "jinn", "jinn/sub/c2")
	// A real cgroupfs makes the files itself; here the new directories
	// need theirs for Create to read.
	sub := filepath.Join(mount, "jinn", "sub")
	os.MkdirAll(filepath.Join(sub, "c2"), 0o755)
	os.WriteFile(filepath.Join(sub, "cgroup.controllers"), []byte("cpu memory"), 0o644)
	os.WriteFile(filepath.Join(sub, "cgroup.subtree_control"), nil, 0o644)
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	if got, _ := cgfs.Read(filepath.Join(mount, "jinn"), "cgroup.subtree_control"); got != "+cpuset +cpu +io +memory +hugetlb +pids" {
		t.Errorf("jinn subtree_control %q", got)
	}
	if got, _ := cgfs.Read(sub, "cgroup.subtree_control"); got != "+cpu +memory" {
		t.Errorf("sub subtree_control %q", got)
	}
}

// On the host's real cgroup2 mount: freeze stops a process and
// cgroup.kill ends it.
func TestRealUnifiedFreezeKill(t *testing.T) {
	const mnt = "/sys/fs/cgroup/unified"
	if os.Geteuid() != 0 || !cgfs.Exists(mnt, "cgroup.controllers") {
		t.Skip("needs root and cgroup2 at " + mnt)
	}
	b := make([]byte, 4)
	rand.Read(b)
	// A parent of the test's own: jinn's may hold a user's containers.
	parent := "jinn-unittest-" + hex.EncodeToString(b)
	m := New(mnt, parent, parent+"/c")
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := m.Remove(); err != nil {
			t.Error(err)
		}
		if err := os.Remove(filepath.Join(mnt, parent)); err != nil && !os.IsNotExist(err) {
			t.Error(err)
		}
		if m.Exists() {
			t.Error("cgroup left behind")
		}
	}()
	cmd := exec.Command("/bin/sh", "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if err := m.Join(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	// A frozen task sleeps in the freezer: its CPU time stands still.
	cpu := func() string {
		st, _ := os.ReadFile("/proc/" + itoa(cmd.Process.Pid) + "/stat")
		f := strings.Fields(string(st))
		return f[13] + "/" + f[14]
	}
	a := cpu()
	time.Sleep(200 * time.Millisecond)
	if c := cpu(); c != a {
		t.Errorf("cpu time %s -> %s while frozen", a, c)
	}
	if f, _ := m.Frozen(); !f {
		t.Error("Frozen false")
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if c := cpu(); c == a {
		t.Error("no cpu time after thaw")
	}
	if !m.CanKill() {
		t.Skip("no cgroup.kill")
	}
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if cmd.ProcessState.String() != "signal: killed" {
		t.Errorf("process ended with %s", cmd.ProcessState)
	}
	if err := m.WaitEmpty(2 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A device program on the real unified mount: /dev/null is allowed for
// reading and writing, /dev/zero is not, and an update replaces it.
func TestRealUnifiedDevices(t *testing.T) {
	const mnt = "/sys/fs/cgroup/unified"
	if os.Geteuid() != 0 || !cgfs.Exists(mnt, "cgroup.controllers") {
		t.Skip("needs root and cgroup2 at " + mnt)
	}
	b := make([]byte, 4)
	rand.Read(b)
	m := New(mnt, "jinn", "jinn/jinn-test-"+hex.EncodeToString(b)).WithDevices(devfilter.Load)
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	defer m.Remove()
	one, three, five := int64(1), int64(3), int64(5)
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: &one, Minor: &three, Access: "rw"},
	}
	if err := set(m, &specs.LinuxResources{Devices: rules}); err != nil {
		t.Fatal(err)
	}
	try := func(script string) string {
		cmd := exec.Command("/bin/sh", "-c", "read x; "+script)
		w, _ := cmd.StdinPipe()
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if err := m.Join(cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("\n"))
		cmd.Wait()
		return out.String()
	}
	if out := try("echo hi > /dev/null && echo ok"); !strings.Contains(out, "ok") {
		t.Errorf("write to /dev/null refused: %s", out)
	}
	if out := try("head -c1 /dev/zero >/dev/null && echo ok"); strings.Contains(out, "ok") {
		t.Errorf("read of /dev/zero allowed: %s", out)
	}
	// Update: now /dev/zero is allowed too, and only one program is left.
	rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: &one, Minor: &five, Access: "r"})
	if err := set(m, &specs.LinuxResources{Devices: rules}); err != nil {
		t.Fatal(err)
	}
	if out := try("head -c1 /dev/zero >/dev/null && echo ok"); !strings.Contains(out, "ok") {
		t.Errorf("read of /dev/zero refused after update: %s", out)
	}
	if out := try("echo > /dev/zero && echo ok"); strings.Contains(out, "ok") {
		t.Errorf("write to /dev/zero allowed with only r: %s", out)
	}
}

// Device rules on a Manager without a DeviceFilter (the engine's) are
// refused, never skipped: the container would get every device.
func TestDevicesWithoutFilterRefused(t *testing.T) {
	_, m := fakeCgroup(t)
	_, err := m.Prepare(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}})
	if err == nil || !strings.Contains(err.Error(), "no device filter") {
		t.Fatalf("Prepare with device rules and no filter: %v", err)
	}
}
