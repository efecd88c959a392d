package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	v1 "github.com/jinn-containers/jinn/internal/cgroups/v1"
	v2 "github.com/jinn-containers/jinn/internal/cgroups/v2"
	"golang.org/x/sys/unix"
)

// manager drives the v1 hierarchies and the cgroup2 mount side by side.
// In a hybrid host the processes join both, so that the v2 cgroup's
// freeze and kill work even when its controllers are few.
type manager struct {
	layout *Layout
	parent string // jinn's parent, relative to each hierarchy's root
	path   string
	v1     *v1.Manager // nil on a pure v2 host
	v2     *v2.Manager // nil on a pure v1 host
}

func newManager(l *Layout, parent, p string, devices v2.DeviceFilter) *manager {
	m := &manager{layout: l, path: p, parent: strings.Trim(path.Clean("/"+parent), "/")}
	if len(l.V1)+len(l.Named) > 0 {
		all := make(map[string]string, len(l.V1)+len(l.Named))
		for c, mnt := range l.V1 {
			all[c] = mnt
		}
		for n, mnt := range l.Named {
			all[n] = mnt
		}
		m.v1 = v1.New(all, p)
	}
	if l.Unified != "" {
		m.v2 = v2.New(l.Unified, path.Clean(parent), p).WithDevices(devices)
	}
	return m
}

func (m *manager) Path() string { return m.path }

func (m *manager) Register(int) error { return nil }

func (m *manager) Apply(pid int) error {
	if m.v1 != nil {
		if err := m.v1.Create(); err != nil {
			return err
		}
	}
	if m.v2 != nil {
		if err := m.v2.Create(); err != nil {
			if m.v1 != nil {
				_ = m.v1.Remove()
			}
			return err
		}
	}
	if pid > 0 {
		if err := m.Join(pid); err != nil {
			_ = m.remove()
			return err
		}
	}
	return nil
}

func (m *manager) Join(pid int) error {
	if m.v1 != nil {
		if err := m.v1.Join(pid); err != nil {
			return err
		}
	}
	if m.v2 != nil {
		if err := m.v2.Join(pid); err != nil {
			return err
		}
	}
	return nil
}

func (m *manager) Entry() (_ *Entry, err error) {
	e := &Entry{}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	if m.v1 != nil {
		if e.Tasks, err = m.v1.TaskFiles(); err != nil {
			return nil, err
		}
	}
	if m.v2 != nil {
		if e.Dir, err = m.openUnified(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (m *manager) LateEntry() (*Entry, error) {
	e := &Entry{}
	if m.v1 != nil {
		e.TaskPaths = m.v1.TaskPaths()
	}
	if m.v2 != nil {
		if err := m.v2.Create(); err != nil {
			return nil, err
		}
		f, err := m.openUnified()
		if err != nil {
			return nil, err
		}
		e.Dir = f
	}
	return e, nil
}

func (m *manager) openUnified() (*os.File, error) {
	f, err := os.OpenFile(m.v2.Dir(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open cgroup: %w", err)
	}
	return f, nil
}

// The freezer is taken from v1 when it is there (it holds the controller
// in a hybrid) and from cgroup2's core cgroup.freeze otherwise.
func (m *manager) Freeze() error {
	if m.v1 != nil && m.v1.Has("freezer") {
		return m.v1.Freeze()
	}
	if m.v2 != nil {
		return m.v2.Freeze()
	}
	return errors.New("freeze: no freezer on this host")
}

func (m *manager) Thaw() error {
	if m.v1 != nil && m.v1.Has("freezer") {
		return m.v1.Thaw()
	}
	if m.v2 != nil {
		return m.v2.Thaw()
	}
	return errors.New("thaw: no freezer on this host")
}

func (m *manager) Frozen() (bool, error) {
	if m.v1 != nil && m.v1.Has("freezer") {
		return m.v1.Frozen()
	}
	if m.v2 != nil {
		return m.v2.Frozen()
	}
	return false, nil
}

func (m *manager) Pids() ([]int, error) {
	seen := map[int]bool{}
	var out []int
	add := func(pids []int, err error) error {
		if err != nil {
			if errors.Is(err, unix.ENOENT) {
				return nil
			}
			return fmt.Errorf("list cgroup processes: %w", err)
		}
		for _, p := range pids {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
		return nil
	}
	if m.v1 != nil {
		if err := add(m.v1.Pids()); err != nil {
			return nil, err
		}
	}
	if m.v2 != nil {
		if err := add(m.v2.Pids()); err != nil {
			return nil, err
		}
	}
	sort.Ints(out)
	return out, nil
}

// Kill uses cgroup.kill where the kernel has it: one write, no race with
// fork. Otherwise, and for anything only v1 sees, it freezes the cgroup so
// nothing forks or exits (no pid can be reused) while it signals each pid.
func (m *manager) Kill() error {
	if m.v2 != nil && m.v2.Exists() && m.v2.CanKill() {
		if err := m.v2.Kill(); err != nil {
			return err
		}
	}
	pids, err := m.Pids()
	if err != nil {
		return err
	}
	if len(pids) == 0 {
		return nil
	}
	frozeErr := m.Freeze()
	for _, p := range pids {
		if err := unix.Kill(p, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("kill %d: %w", p, err)
		}
	}
	// A v1-frozen task dies only once thawed; thaw even if freeze failed
	// half-way, or if the container was paused before.
	if err := m.Thaw(); err != nil && frozeErr == nil {
		return err
	}
	return nil
}

func (m *manager) Exists() bool {
	return (m.v1 != nil && m.v1.Exists()) || (m.v2 != nil && m.v2.Exists())
}

func (m *manager) Destroy() error {
	// The usual case: the processes are gone and nothing is below, so
	// one rmdir per hierarchy does it. Any left (EBUSY) take the long way.
	if m.removeIdle() {
		m.removeEmptyParents()
		return nil
	}
	if !m.Exists() {
		return nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := m.Kill(); err != nil {
			return fmt.Errorf("destroy cgroup %s: %w", m.path, err)
		}
		pids, err := m.Pids()
		if err != nil {
			return fmt.Errorf("destroy cgroup %s: %w", m.path, err)
		}
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("destroy cgroup %s: processes %v survive SIGKILL", m.path, pids)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := m.remove(); err != nil {
		// Pids reads one v1 hierarchy: a process moved into only some
		// (its create killed midway) keeps the others busy.
		if !m.killStrays() {
			return err
		}
		if err := m.remove(); err != nil {
			return err
		}
	}
	m.removeEmptyParents()
	return nil
}

// killStrays kills the processes any v1 hierarchy still holds and waits
// a little for them to go; it says whether there were any.
func (m *manager) killStrays() bool {
	if m.v1 == nil {
		return false
	}
	pids, err := m.v1.AllPids()
	if err != nil || len(pids) == 0 {
		return false
	}
	for _, p := range pids {
		unix.Kill(p, unix.SIGKILL)
	}
	for i := 0; i < 200; i++ {
		if left, err := m.v1.AllPids(); err != nil || len(left) == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// removeEmptyParents removes, where they are left empty, the parents of
// the container's cgroup that are jinn's: its own parent and what lies
// below it, and any other that jinn made (cgfs.MadeByJinn), never one
// that someone else made (kubelet's /kubepods/pod<uid>). rmdir of one
// that holds another container fails (EBUSY), which ends the walk up; a
// create racing with it retries its mkdir (cgfs.Mkdir).
func (m *manager) removeEmptyParents() {
	for _, chain := range m.parentChains() {
		for i, p := range chain {
			if !p.Own && !cgfs.MadeByJinn(p.Dir) {
				break
			}
			rmdirIfEmpty(p.Dir)
			// Still there (in use): its parents are too. At the top
			// (jinn's own parent, usually) there is nothing more to ask.
			if i == len(chain)-1 || cgfs.Exists(p.Dir, "") {
				break
			}
		}
	}
}

// parentDir is one parent of the container's cgroup on one mount; Own:
// below jinn's parent or the parent itself, removed without asking who
// made it.
type parentDir struct {
	Dir string
	Own bool
}

// parentChains lists, per cgroup mount, the parents removeEmptyParents
// walks up through, nearest first, up to the one below the mount's root.
// The walk's rules are removeEmptyParents' (and the C delete's, which
// reads them from DeletePlan).
func (m *manager) parentChains() [][]parentDir {
	var mounts []string
	seen := map[string]bool{}
	for _, mnt := range m.layout.V1 {
		if !seen[mnt] {
			seen[mnt] = true
			mounts = append(mounts, mnt)
		}
	}
	for _, mnt := range m.layout.Named {
		if !seen[mnt] {
			seen[mnt] = true
			mounts = append(mounts, mnt)
		}
	}
	sort.Strings(mounts) // the same plan each time (the run plan's probe)
	if m.layout.Unified != "" {
		mounts = append(mounts, m.layout.Unified)
	}
	var out [][]parentDir
	for _, mnt := range mounts {
		var chain []parentDir
		for d := path.Dir(m.path); d != "." && d != "/"; d = path.Dir(d) {
			own := d == m.parent || strings.HasPrefix(d, m.parent+"/")
			chain = append(chain, parentDir{Dir: filepath.Join(mnt, d), Own: own})
		}
		if len(chain) > 0 {
			out = append(out, chain)
		}
	}
	return out
}

// RemoveEmptyParent removes parent (relative to each hierarchy's root) on
// every cgroup mount where nothing is left in it. An engine calls it when
// its last container is gone, whichever runtime made the cgroups: runc
// leaves its parents behind, named hierarchies included. A parent still
// in use refuses rmdir, which is fine.
func RemoveEmptyParent(parent string) {
	if l, err := DetectLayout(); err == nil {
		RemoveEmptyParentOn(l, parent)
	}
}

// RemoveEmptyParentOn is RemoveEmptyParent on a layout detected before
// (detecting reads all of mountinfo).
func RemoveEmptyParentOn(l *Layout, parent string) {
	if parent == "" || path.Clean("/"+parent) == "/" {
		return
	}
	for _, mnt := range l.Mounts {
		unix.Rmdir(filepath.Join(mnt, parent))
	}
}

// rmdirIfEmpty removes a cgroup without child cgroups. A child removed a
// moment ago may still hold it (EBUSY) briefly: retry then, but not when
// another container's cgroup is there.
func rmdirIfEmpty(dir string) {
	delay := time.Millisecond
	for i := 0; i < 10; i++ {
		// rmdir first: with no child it is all it takes, and a cgroup
		// with children refuses it (EBUSY) without harm.
		if err := unix.Rmdir(dir); !errors.Is(err, unix.EBUSY) {
			return
		}
		if hasSubdirs(dir) {
			return
		}
		time.Sleep(delay)
		delay *= 2
	}
}

// hasSubdirs says whether dir holds a directory. A directory's link count
// is 2 plus its subdirectories on cgroupfs (kernfs) as on most file
// systems: one stat, where listing the parent of a thousand containers'
// cgroups on every delete costs more than the rest of the delete. A file
// system that does not count them (btrfs: 1) is listed.
func hasSubdirs(dir string) bool {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return true // gone or unreadable: nothing to wait for
	}
	if st.Nlink >= 2 {
		return st.Nlink > 2
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return true
	}
	for _, e := range ents {
		if e.IsDir() {
			return true
		}
	}
	return false
}

// removeIdle removes the cgroup on every hierarchy where it holds no
// process and no cgroup, and says whether it is gone from all of them.
func (m *manager) removeIdle() bool {
	gone := true
	if m.v1 != nil {
		gone = m.v1.RemoveIdle()
	}
	if m.v2 != nil {
		gone = m.v2.RemoveIdle() && gone
	}
	return gone
}

func (m *manager) remove() error {
	var errs []error
	if m.v1 != nil {
		errs = append(errs, m.v1.Remove())
	}
	if m.v2 != nil {
		errs = append(errs, m.v2.Remove())
	}
	return errors.Join(errs...)
}

// Children lists the names of the cgroups right below parent, on any
// hierarchy (prune looks there for cgroups of containers long gone).
func Children(parent string) []string {
	l, err := DetectLayout()
	if err != nil || parent == "" || path.Clean("/"+parent) == "/" {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, mnt := range l.Mounts {
		ents, _ := os.ReadDir(filepath.Join(mnt, parent))
		for _, e := range ents {
			if e.IsDir() && !seen[e.Name()] {
				seen[e.Name()] = true
				out = append(out, e.Name())
			}
		}
	}
	return out
}
