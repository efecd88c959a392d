// Package v2 drives a container's cgroup on the cgroup2 (unified)
// hierarchy: one directory, controllers enabled from jinn's parent down.
package v2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	"golang.org/x/sys/unix"
)

// Manager is one cgroup on a cgroup2 mount.
type Manager struct {
	mount  string
	parent string // jinn's parent cgroup, relative to mount
	path   string // the container's cgroup, relative to mount
	dir    string
	// devices loads the program for device rules; nil refuses them.
	devices DeviceFilter
}

// New makes a Manager for the cgroup at path under mount. parent is jinn's
// own parent cgroup: controllers are enabled in subtree_control only from
// there down, never above it. It does no I/O.
func New(mount, parent, path string) *Manager {
	return &Manager{mount: mount, parent: parent, path: path, dir: filepath.Join(mount, path)}
}

// Dir is the cgroup's directory.
func (m *Manager) Dir() string { return m.dir }

// Create makes the cgroup, enabling in each cgroup between jinn's parent
// and it the controllers that the parent offers. On failure it removes
// the directories it made.
func (m *Manager) Create() error {
	made, err := cgfs.Mkdir(m.dir)
	fail := func(err error) error {
		for i := len(made) - 1; i >= 0; i-- {
			_ = unix.Rmdir(made[i])
		}
		return err
	}
	if err != nil {
		return fail(err)
	}
	dirs, strict := m.EnableDirs()
	for _, d := range dirs {
		if err := enableAll(d); err != nil {
			if strict {
				return fail(err)
			}
			enableEach(d)
		}
	}
	return nil
}

// EnableDirs are the cgroups Create enables the controllers in, top
// first: jinn's parent and every cgroup below it down to (not including)
// the container's own, which stays a leaf holding processes. A path
// outside jinn's parent (an absolute cgroupsPath) is enabled from the
// hierarchy's root down, as runc does, and like runc takes what each
// cgroup there allows (strict false: one holding processes refuses).
func (m *Manager) EnableDirs() (dirs []string, strict bool) {
	top, strict := m.parent, true
	rel, err := filepath.Rel(m.parent, m.path)
	if err != nil || strings.HasPrefix(rel, "..") {
		top, rel, strict = "", m.path, false
	}
	d := filepath.Join(m.mount, top)
	for _, el := range strings.Split(rel, "/") {
		dirs = append(dirs, d)
		d = filepath.Join(d, el)
	}
	return dirs, strict
}

// enableEach enables dir's controllers one at a time, ignoring refusals.
func enableEach(dir string) {
	avail, _ := cgfs.Read(dir, "cgroup.controllers")
	for _, c := range strings.Fields(avail) {
		_ = cgfs.Write(dir, "cgroup.subtree_control", "+"+c)
	}
}

// enableAll enables in dir's subtree_control every controller dir has.
func enableAll(dir string) error {
	avail, err := cgfs.Read(dir, "cgroup.controllers")
	if err != nil {
		return fmt.Errorf("enable controllers in %s: %w", dir, err)
	}
	on, err := cgfs.Read(dir, "cgroup.subtree_control")
	if err != nil {
		return fmt.Errorf("enable controllers in %s: %w", dir, err)
	}
	enabled := map[string]bool{}
	for _, c := range strings.Fields(on) {
		enabled[c] = true
	}
	var add []string
	for _, c := range strings.Fields(avail) {
		if !enabled[c] {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := cgfs.Write(dir, "cgroup.subtree_control", strings.Join(add, " ")); err != nil {
		return fmt.Errorf("enable controllers: %w", err)
	}
	return nil
}

// Controllers lists the controllers enabled in the cgroup.
func (m *Manager) Controllers() (map[string]bool, error) {
	s, err := cgfs.Read(m.dir, "cgroup.controllers")
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, c := range strings.Fields(s) {
		out[c] = true
	}
	return out, nil
}

// Join moves pid into the cgroup.
func (m *Manager) Join(pid int) error {
	if err := cgfs.Write(m.dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("join cgroup: %w", err)
	}
	return nil
}

// Pids lists the processes in the cgroup and below it.
func (m *Manager) Pids() ([]int, error) { return cgfs.ReadProcs(m.dir) }

// Freeze writes cgroup.freeze and waits for cgroup.events to say frozen.
func (m *Manager) Freeze() error {
	if err := cgfs.Write(m.dir, "cgroup.freeze", "1"); err != nil {
		return fmt.Errorf("freeze: %w", err)
	}
	if err := m.waitEvent("frozen", 1, 5*time.Second); err != nil {
		_ = cgfs.Write(m.dir, "cgroup.freeze", "0")
		return fmt.Errorf("freeze: %w", err)
	}
	return nil
}

// Thaw writes cgroup.freeze back to 0.
func (m *Manager) Thaw() error {
	if err := cgfs.Write(m.dir, "cgroup.freeze", "0"); err != nil {
		return fmt.Errorf("thaw: %w", err)
	}
	return nil
}

// Frozen says whether the cgroup is frozen or freezing.
func (m *Manager) Frozen() (bool, error) {
	s, err := cgfs.Read(m.dir, "cgroup.freeze")
	if err != nil {
		return false, err
	}
	return s == "1", nil
}

// CanKill says whether the kernel has cgroup.kill (Linux 5.14).
func (m *Manager) CanKill() bool { return cgfs.Exists(m.dir, "cgroup.kill") }

// Kill SIGKILLs every process in the cgroup and below it at once, with no
// race against forks.
func (m *Manager) Kill() error {
	if err := cgfs.Write(m.dir, "cgroup.kill", "1"); err != nil {
		return fmt.Errorf("kill cgroup: %w", err)
	}
	return nil
}

// WaitEmpty waits until no process is left in the cgroup.
func (m *Manager) WaitEmpty(timeout time.Duration) error {
	if err := m.waitEvent("populated", 0, timeout); err != nil {
		return fmt.Errorf("wait for cgroup %s to empty: %w", m.dir, err)
	}
	return nil
}

func (m *Manager) waitEvent(key string, want uint64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	delay := 100 * time.Microsecond
	for {
		ev, err := cgfs.ReadKeyed(m.dir, "cgroup.events")
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && key == "populated" {
				return nil
			}
			return err
		}
		if ev[key] == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is still %d after %s", key, ev[key], timeout)
		}
		time.Sleep(delay)
		if delay < 20*time.Millisecond {
			delay *= 2
		}
	}
}

// Exists says whether the cgroup exists.
func (m *Manager) Exists() bool { return cgfs.Exists(m.dir, "") }

// RemoveIdle removes the cgroup if it has no process and no child, and
// says whether it is gone.
func (m *Manager) RemoveIdle() bool {
	err := unix.Rmdir(m.dir)
	return err == nil || err == unix.ENOENT
}

// Remove removes the cgroup and any below it; processes must be gone.
func (m *Manager) Remove() error { return cgfs.RemoveTree(m.dir) }
