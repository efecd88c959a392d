package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A hybrid host like this one, in a temporary directory: memory and pids
// on v1, hugetlb on cgroup2. Each limit must land on the hierarchy that
// holds its controller.
func TestHybridSplitFake(t *testing.T) {
	root := t.TempDir()
	l := &Layout{
		V1:                 map[string]string{"memory": filepath.Join(root, "memory"), "pids": filepath.Join(root, "pids")},
		Unified:            filepath.Join(root, "unified"),
		UnifiedControllers: map[string]bool{"hugetlb": true},
	}
	write := func(dir string, files map[string]string) {
		os.MkdirAll(dir, 0o755)
		for f, v := range files {
			os.WriteFile(filepath.Join(dir, f), []byte(v), 0o644)
		}
	}
	write(filepath.Join(root, "memory/jinn/c"), map[string]string{"memory.limit_in_bytes": "9223372036854771712", "cgroup.procs": ""})
	write(filepath.Join(root, "pids/jinn/c"), map[string]string{"pids.max": "max", "cgroup.procs": ""})
	write(filepath.Join(root, "unified/jinn"), map[string]string{"cgroup.controllers": "hugetlb", "cgroup.subtree_control": ""})
	write(filepath.Join(root, "unified/jinn/c"), map[string]string{"cgroup.controllers": "hugetlb", "hugetlb.2MB.max": "max", "cgroup.procs": ""})
	m, err := New(Config{Name: "c", Layout: l})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(0); err != nil {
		t.Fatal(err)
	}
	lim, pids := int64(64<<20), int64(100)
	if err := m.Set(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &lim}, Pids: &specs.LinuxPids{Limit: &pids},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
	}); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{
		"memory/jinn/c/memory.limit_in_bytes": "67108864", "pids/jinn/c/pids.max": "100",
		"unified/jinn/c/hugetlb.2MB.max": "4194304", "unified/jinn/cgroup.subtree_control": "+hugetlb",
	} {
		b, _ := os.ReadFile(filepath.Join(root, f))
		if string(b) != want {
			t.Errorf("%s = %q, want %q", f, b, want)
		}
	}
	// A controller the host lacks, and v2-only keys on a v1 controller.
	for _, c := range []struct {
		r     *specs.LinuxResources
		field string
	}{
		{&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: &lim}}, "linux.resources.cpu: the host has no cpu"},
		{&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &pids}, Unified: map[string]string{"memory.max": "1"}}, `unified["memory.max"]`},
		{&specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"x": {}}}, "rdma"},
	} {
		if err := m.Set(c.r); err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("want an error naming %s, got %v", c.field, err)
		}
	}
}
