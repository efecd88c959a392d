package cgroups

import (
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
)

// RunPlan is what the C run (cmd/jinn-runtime/run.c) does to a
// container's cgroups, worked out by the Go code that does it otherwise:
// the v1 directories Create makes (cgfs.Mkdir's rules, the cpuset filled
// in from its parent) and the writes of Set, in order. The facts of the
// host it holds (Hierarchies, Roots) are checked before it is used, as
// the layout cache's are.
type RunPlan struct {
	Hierarchies string // HierarchyKey
	Roots       []Root
	Dirs        []string // v1.Manager.Dirs: Create's order
	Cpuset      string   // the cpuset hierarchy's, "" if none
	Writes      []cgfs.WriteOp
	// Unified is the container's cgroup2 directory on a hybrid host ("":
	// none), made before the fork (with Mkdir's rules) and entered by
	// clone3; Enable are the cgroups v2.Create enables controllers in
	// (Loose: taking what each allows, a path outside jinn's parent);
	// Controllers is the cgroup2 root's list, which split's choices
	// depend on.
	Unified      string
	UnifiedMount string
	Enable       []string
	Loose        bool
	Controllers  string
}

// Root is a cgroup mount point and its root's device and inode.
type Root struct {
	Mount    string
	Dev, Ino uint64
}

// PlanRunLike is PlanRun for a cgroup not made yet (the run plan's probe
// of another id): the limits are like's writes, each to the same file of
// m's directory on the same hierarchy.
func PlanRunLike(m Manager, like *RunPlan) (*RunPlan, bool) {
	p, ok := PlanRun(m, nil)
	if !ok || len(p.Dirs) != len(like.Dirs) {
		return nil, false
	}
	dirs := map[string]string{like.Unified: p.Unified}
	for i, d := range like.Dirs {
		dirs[d] = p.Dirs[i]
	}
	for _, w := range like.Writes {
		d, ok := dirs[w.Dir]
		if !ok || d == "" {
			return nil, false
		}
		p.Writes = append(p.Writes, cgfs.WriteOp{Dir: d, File: w.File, Data: w.Data})
	}
	return p, true
}

// PlanRun returns m's run plan for the limits r (nil: none); false where
// the C run cannot replay it: a cgroup2 hierarchy (Create enables
// controllers, clone joins by fd), systemd, a limit written by more than a
// plain write (WriteDevice, oom_control), a layout the checks cannot pin.
func PlanRun(m Manager, r *specs.LinuxResources) (*RunPlan, bool) {
	fm, ok := m.(*manager)
	if !ok || fm.v1 == nil || (fm.v2 == nil) != (fm.layout.Unified == "") {
		return nil, false
	}
	p := &RunPlan{Hierarchies: hierarchyKey(), Dirs: fm.v1.Dirs()}
	if p.Hierarchies == "" {
		return nil, false
	}
	if fm.v2 != nil {
		var strict bool
		p.Enable, strict = fm.v2.EnableDirs()
		p.Loose = !strict
		p.Unified, p.UnifiedMount = fm.v2.Dir(), fm.layout.Unified
		b, err := os.ReadFile(filepath.Join(fm.layout.Unified, "cgroup.controllers"))
		if err != nil {
			return nil, false
		}
		p.Controllers = strings.TrimSpace(string(b))
	}
	seen := map[string]bool{}
	for _, mnt := range layoutMounts(fm.layout) {
		if seen[mnt] {
			continue
		}
		seen[mnt] = true
		id, ok := rootID(mnt)
		if !ok {
			return nil, false
		}
		p.Roots = append(p.Roots, Root{mnt, id[0], id[1]})
	}
	p.Cpuset, _ = fm.v1.Dir("cpuset")
	if r == nil {
		return p, true
	}
	if validate(r) != nil {
		return nil, false
	}
	r1, r2, err := fm.split(r)
	if err != nil {
		return nil, false
	}
	tx, err := fm.v1.Prepare(r1)
	if err != nil {
		return nil, false
	}
	if p.Writes, ok = tx.Writes(); !ok {
		return nil, false
	}
	if fm.v2 != nil {
		tx2, err := fm.v2.Prepare(r2)
		if err != nil {
			return nil, false
		}
		w2, ok := tx2.Writes()
		if !ok {
			return nil, false
		}
		p.Writes = append(p.Writes, w2...)
	}
	return p, true
}

// LateTaskPaths are the v1 tasks files LateEntry names, without making
// anything (the run plan's probe of another id).
func LateTaskPaths(m Manager) []string {
	if fm, ok := m.(*manager); ok && fm.v1 != nil {
		return fm.v1.TaskPaths()
	}
	return nil
}
