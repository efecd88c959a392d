package cgroups

import (
	"path/filepath"
	"strings"
	"testing"
)

// The plan names the container's cgroup on each mount once (cpu and
// cpuacct co-mounted), and per mount the parents up to the mount's root:
// those at and below jinn's parent "own", any above "made" (removed only
// if jinn marked them), as removeEmptyParents walks them.
func TestDeletePlanFake(t *testing.T) {
	root := t.TempDir()
	cpu := filepath.Join(root, "cpu,cpuacct")
	l := &Layout{
		V1:      map[string]string{"cpu": cpu, "cpuacct": cpu},
		Unified: filepath.Join(root, "unified"),
	}
	m, err := New(Config{Name: "c", Parent: "top/jinn", Layout: l})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if !DeletePlan(m, &b) {
		t.Fatal("no plan")
	}
	want := strings.Join([]string{
		"rm " + cpu + "/top/jinn/c",
		"rm " + root + "/unified/top/jinn/c",
		"xattr trusted.jinn.made",
		"up", "own " + cpu + "/top/jinn", "made " + cpu + "/top",
		"up", "own " + root + "/unified/top/jinn", "made " + root + "/unified/top",
	}, "\n") + "\n"
	if b.String() != want {
		t.Errorf("plan:\n%s\nwant:\n%s", b.String(), want)
	}
	// A path the line format cannot carry: no plan (the Go delete).
	m, err = New(Config{Path: "/x\ny/c", Layout: l})
	if err == nil {
		var b strings.Builder
		if DeletePlan(m, &b) || b.Len() != 0 {
			t.Errorf("plan for a path with a newline: %q", b.String())
		}
	}
}
