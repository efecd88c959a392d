package runtime

import (
	"strings"
	"testing"
	"time"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/jsonlite"
)

func TestValidateID(t *testing.T) {
	for _, ok := range []string{"a", "runtime-x_1.2+3", strings.Repeat("x", 1024)} {
		if err := ValidateID(ok); err != nil {
			t.Errorf("ValidateID(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/b", "sp ace", "tab\t", "nul\x00", "é", strings.Repeat("x", 1025)} {
		if err := ValidateID(bad); err == nil {
			t.Errorf("ValidateID(%q) accepted", bad)
		}
	}
}

// A state that records the host's cgroup mounts gives them back as the
// layout, through a save and a read, without looking at the host.
func TestCgroupLayoutFromState(t *testing.T) {
	c := &Container{Dir: t.TempDir(), lock: -1, State: State{ID: "x", Created: time.Now().UTC(),
		Config: []byte(`{"ociVersion":"1.2.0","linux":{"cgroupsPath":"/a/b","namespaces":[{"type":"mount"}]}}`),
		CgroupMounts: []cgroups.Mount{
			{Point: "/cg/cpu,cpuacct", Type: "cgroup", Options: []string{"cpu", "cpuacct"}},
			{Point: "/cg/systemd", Type: "cgroup", Options: []string{"xattr", "name=systemd"}},
			{Point: "/cg/unified", Type: "cgroup2", Options: []string{"nsdelegate"}}},
		CgroupControllers: []string{"hugetlb"}}}
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	got := &Container{Dir: c.Dir, lock: -1}
	if err := got.read(); err != nil {
		t.Fatal(err)
	}
	// read decodes the state with jsonlite, not encoding/json.
	if err := jsonlite.Unmarshal(c.State.marshal(), &State{}); err != nil {
		t.Errorf("jsonlite declines the state: %v", err)
	}
	l, err := got.cgroupLayout()
	if err != nil {
		t.Fatal(err)
	}
	if l.V1["cpu"] != "/cg/cpu,cpuacct" || l.V1["cpuacct"] != "/cg/cpu,cpuacct" || l.Named["name=systemd"] != "/cg/systemd" ||
		l.Unified != "/cg/unified" || !l.UnifiedControllers["hugetlb"] || len(l.Mounts) != 3 || len(l.Hierarchies) != 3 {
		t.Errorf("layout %+v", l)
	}
	if got.State.Spec.Linux.CgroupsPath != "/a/b" || len(got.State.Spec.Linux.Namespaces) != 1 {
		t.Errorf("stored spec %+v", got.State.Spec.Linux)
	}
	full, err := got.FullSpec()
	if err != nil || full.Version != "1.2.0" || full.Linux.CgroupsPath != "/a/b" {
		t.Errorf("full spec %+v: %v", full, err)
	}
}
