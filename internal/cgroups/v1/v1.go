// Package v1 drives a container's cgroup on cgroup v1 hierarchies: one
// directory per mounted controller (co-mounted controllers share one).
package v1

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	"golang.org/x/sys/unix"
)

// Manager is one cgroup on the v1 hierarchies it was given.
type Manager struct {
	dirs  map[string]string // controller -> the cgroup's directory on its hierarchy
	fresh bool              // PrepareFresh: plan for the cgroup as made
}

// New makes a Manager for the cgroup at path (relative to each mount) on
// the hierarchies in mounts (controller -> mount point). It does no I/O.
func New(mounts map[string]string, path string) *Manager {
	m := &Manager{dirs: make(map[string]string, len(mounts))}
	for c, mnt := range mounts {
		m.dirs[c] = filepath.Join(mnt, path)
	}
	return m
}

// Dir is the cgroup's directory for controller, if the host has it.
func (m *Manager) Dir(controller string) (string, bool) {
	d, ok := m.dirs[controller]
	return d, ok
}

// Has says whether controller is mounted.
func (m *Manager) Has(controller string) bool {
	_, ok := m.dirs[controller]
	return ok
}

// dirList is every distinct directory, sorted so operations are repeatable.
// Dirs lists the cgroup's directory on each hierarchy, once each.
func (m *Manager) Dirs() []string { return m.dirList() }

func (m *Manager) dirList() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range m.dirs {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// Create makes the cgroup on every hierarchy. On failure it removes the
// directories it made.
func (m *Manager) Create() error {
	var made []string
	fail := func(err error) error {
		for i := len(made) - 1; i >= 0; i-- {
			_ = unix.Rmdir(made[i])
		}
		return err
	}
	for _, d := range m.dirList() {
		mk, err := cgfs.Mkdir(d)
		made = append(made, mk...)
		if err != nil {
			return fail(err)
		}
		if cs, ok := m.dirs["cpuset"]; ok && cs == d {
			// A new v1 cpuset starts with no CPUs and no memory nodes, and
			// a process cannot join it until it has both: copy the parent's.
			if err := initCpusets(mk); err != nil {
				return fail(err)
			}
		}
	}
	return nil
}

// initCpusets fills in the cpusets Mkdir just made (outermost first, each
// the parent of the next): the parent's value of the first is read, and
// the ones below it get the same, without reading back what was written.
func initCpusets(made []string) error {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		val := ""
		for i, dir := range made {
			if i == 0 || filepath.Dir(dir) != made[i-1] {
				v, err := parentCpuset(dir, f)
				if err != nil {
					return err
				}
				val = v
			}
			if err := cgfs.Write(dir, f, val); err != nil {
				return fmt.Errorf("init cpuset: %w", err)
			}
		}
	}
	return nil
}

// parentCpuset reads f of dir's parent; a parent another create has just
// made and not yet filled in is filled in first, or dir stays empty too
// and no process can join it (ENOSPC).
func parentCpuset(dir, f string) (string, error) {
	up := filepath.Dir(dir)
	v, err := cgfs.Read(up, f)
	if err != nil {
		return "", fmt.Errorf("init cpuset %s: %w", dir, err)
	}
	if v == "" && up != dir && up != "/" {
		if err := initCpuset(up); err != nil {
			return "", err
		}
		if v, err = cgfs.Read(up, f); err != nil {
			return "", fmt.Errorf("init cpuset %s: %w", dir, err)
		}
	}
	return v, nil
}

func initCpuset(dir string) error {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := cgfs.Read(dir, f)
		if err != nil {
			return fmt.Errorf("init cpuset %s: %w", dir, err)
		}
		if cur != "" {
			continue
		}
		up := filepath.Dir(dir)
		parent, err := cgfs.Read(up, f)
		if err != nil {
			return fmt.Errorf("init cpuset %s: %w", dir, err)
		}
		if parent == "" && up != dir && up != "/" {
			// A parent another create has just made and not yet
			// filled in: fill it first, or this one stays empty too and
			// no process can join it (ENOSPC).
			if err := initCpuset(up); err != nil {
				return err
			}
			if parent, err = cgfs.Read(up, f); err != nil {
				return fmt.Errorf("init cpuset %s: %w", dir, err)
			}
		}
		if err := cgfs.Write(dir, f, parent); err != nil {
			return fmt.Errorf("init cpuset: %w", err)
		}
	}
	return nil
}

// Join moves pid (its whole thread group) into the cgroup everywhere.
func (m *Manager) Join(pid int) error {
	for _, d := range m.dirList() {
		if err := cgfs.Write(d, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("join cgroup: %w", err)
		}
	}
	return nil
}

// TaskFiles opens each hierarchy's tasks file for writing, for a process
// to move itself in (see cgroups.Entry). On failure none stays open.
func (m *Manager) TaskFiles() ([]*os.File, error) {
	var out []*os.File
	for _, d := range m.dirList() {
		f, err := os.OpenFile(filepath.Join(d, "tasks"), os.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, fmt.Errorf("open cgroup: %w", err)
		}
		out = append(out, f)
	}
	return out, nil
}

// AllPids lists the processes in the cgroup on every hierarchy: one
// moved in only partly (its mover killed midway) is not in all of them.
func (m *Manager) AllPids() ([]int, error) {
	var out []int
	for _, d := range m.dirList() {
		ps, err := cgfs.ReadProcs(d)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// TaskPaths names each hierarchy's tasks file.
func (m *Manager) TaskPaths() []string {
	var out []string
	for _, d := range m.dirList() {
		out = append(out, filepath.Join(d, "tasks"))
	}
	return out
}

// Pids lists the processes in the cgroup and below it.
func (m *Manager) Pids() ([]int, error) {
	for _, c := range []string{"pids", "freezer", "memory", "cpu", "devices"} {
		if d, ok := m.dirs[c]; ok {
			return cgfs.ReadProcs(d)
		}
	}
	for _, d := range m.dirList() {
		return cgfs.ReadProcs(d)
	}
	return nil, nil
}

// Freeze stops every process in the cgroup and waits until the kernel
// says they are all frozen.
func (m *Manager) Freeze() error {
	d, ok := m.dirs["freezer"]
	if !ok {
		return fmt.Errorf("freeze: the freezer controller is not mounted")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		// Writing FROZEN again nudges tasks that were forking or in an
		// uninterruptible sleep when the first write came.
		if err := cgfs.Write(d, "freezer.state", "FROZEN"); err != nil {
			return fmt.Errorf("freeze: %w", err)
		}
		st, err := cgfs.Read(d, "freezer.state")
		if err != nil {
			return fmt.Errorf("freeze: %w", err)
		}
		if st == "FROZEN" {
			return nil
		}
		if time.Now().After(deadline) {
			_ = cgfs.Write(d, "freezer.state", "THAWED")
			return fmt.Errorf("freeze %s: still %s after 5s", d, st)
		}
		time.Sleep(time.Millisecond)
	}
}

// Thaw lets the processes run again.
func (m *Manager) Thaw() error {
	d, ok := m.dirs["freezer"]
	if !ok {
		return fmt.Errorf("thaw: the freezer controller is not mounted")
	}
	if err := cgfs.Write(d, "freezer.state", "THAWED"); err != nil {
		return fmt.Errorf("thaw: %w", err)
	}
	return nil
}

// Frozen says whether the cgroup is frozen (or freezing).
func (m *Manager) Frozen() (bool, error) {
	d, ok := m.dirs["freezer"]
	if !ok {
		return false, nil
	}
	st, err := cgfs.Read(d, "freezer.state")
	if err != nil {
		return false, err
	}
	return st != "THAWED", nil
}

// Exists says whether the cgroup exists on any hierarchy.
func (m *Manager) Exists() bool {
	for _, d := range m.dirList() {
		if cgfs.Exists(d, "") {
			return true
		}
	}
	return false
}

// RemoveIdle removes the cgroup from each hierarchy where it has no
// process and no child (one rmdir each), and says whether it is gone from
// all of them.
func (m *Manager) RemoveIdle() bool {
	gone := true
	for _, d := range m.dirList() {
		if err := unix.Rmdir(d); err != nil && err != unix.ENOENT {
			gone = false
		}
	}
	return gone
}

// Remove removes the cgroup (and any below it) from every hierarchy. The
// processes must be gone already.
func (m *Manager) Remove() error {
	var first error
	for _, d := range m.dirList() {
		if err := cgfs.RemoveTree(d); err != nil && first == nil {
			first = err
		}
	}
	return first
}
