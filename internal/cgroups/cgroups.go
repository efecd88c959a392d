// Package cgroups puts containers in cgroups and applies their resource
// limits. A Manager drives one container's cgroup on whatever hierarchies the
// host has: pure v1, pure v2, or a hybrid where each controller is driven on
// the hierarchy that holds it.
package cgroups

import (
	"context"
	"os"
	"path"
	"strings"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	v2 "github.com/jinn-containers/jinn/internal/cgroups/v2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Manager is one container's cgroup. It is cheap to make: New does no
// writes, so the runtime can rebuild a Manager from saved state in every
// command.
type Manager interface {
	// Apply creates the cgroup (on every hierarchy) and moves pid into it.
	// pid 0 creates the cgroup without moving anything.
	Apply(pid int) error
	// Set checks every limit in r and then writes them; it may be called
	// again (update). On any error nothing is changed.
	Set(r *specs.LinuxResources) error
	// Register tells the cgroup's owner that pid is the container's init:
	// with --systemd-cgroup it starts the container's systemd unit;
	// under cgroupfs it does nothing.
	Register(pid int) error
	// Join moves pid into the existing cgroup (exec).
	Join(pid int) error
	// Entry opens the existing cgroup for a process to be born in it
	// rather than moved there (see Entry).
	Entry() (*Entry, error)
	// LateEntry is for a process that moves itself in once it runs, so
	// that the v1 cgroups can be made while it starts: it makes the
	// cgroup on the cgroup2 hierarchy only (for CLONE_INTO_CGROUP) and
	// names the v1 tasks files (Entry.TaskPaths) that Apply will make.
	LateEntry() (*Entry, error)
	// Freeze and Thaw back pause and resume.
	Freeze() error
	Thaw() error
	// Frozen says whether the cgroup is frozen (the container is paused).
	Frozen() (bool, error)
	// Pids lists every process in the cgroup.
	Pids() ([]int, error)
	// Kill sends SIGKILL to every process in the cgroup (kill --all, delete).
	Kill() error
	// Destroy kills what lingers and removes the cgroup everywhere. A
	// cgroup that does not exist is no error.
	Destroy() error
	// Exists says whether the cgroup exists on any hierarchy.
	Exists() bool
	// Path is the cgroup's path relative to each hierarchy's root.
	Path() string
	// Stats reads the cgroup's resource usage.
	Stats() (*Stats, error)
	// OOMKills counts the processes the kernel's OOM killer has killed in
	// the cgroup.
	OOMKills() (uint64, error)
	// OOMFiles are the files whose "oom_kill N" lines count them, for a
	// reader that does not link this package (the container's monitor).
	OOMFiles() []string
	// NotifyOOM sends on the channel each time the cgroup hits its memory
	// limit and the OOM killer acts, until ctx ends or the cgroup goes.
	NotifyOOM(ctx context.Context) (<-chan struct{}, error)
}

// Entry lets a new process start in a cgroup without a migration. Moving a
// process into a cgroup (writing its pid to cgroup.procs) takes a global
// lock whose writer waits for an RCU grace period, 5-15 ms on a VM and
// often the slowest step of a container's start. Two ways around it:
//   - v1: a thread that writes "0" to a hierarchy's tasks file moves only
//     itself and skips that lock; a process that does so while it still
//     has one thread (the C stage of internal/nsexec) moves whole. The
//     files are opened here, so the permission check is the opener's even
//     when the process is in a new user namespace by then.
//   - cgroup2: clone3's CLONE_INTO_CGROUP starts the child in Dir.
//
// A thread that writes "0" later, once the process has more threads, moves
// only itself: that is enough for a process whose only thread that forks
// or execs is that one (the init's locked main thread), see LateEntry.
type Entry struct {
	Tasks     []*os.File // one per v1 hierarchy, open for writing (Entry)
	TaskPaths []string   // the same files' paths (LateEntry)
	Dir       *os.File   // the cgroup2 directory, or nil on a pure v1 host
}

// Close closes the files (the parent's copies, once the child has its own).
func (e *Entry) Close() {
	if e == nil {
		return
	}
	for _, f := range e.Tasks {
		f.Close()
	}
	if e.Dir != nil {
		e.Dir.Close()
	}
}

// Stats is a container's resource usage, shaped like runc's.
type Stats = cgfs.Stats

// Config says where a container's cgroup lives.
type Config struct {
	// Path is linux.cgroupsPath, or empty for the default under Parent.
	Path string
	// Name is the container id, used for the default path.
	Name string
	// Parent is jinn's own parent cgroup ("jinn" by default), where
	// relative paths go.
	Parent string
	// Systemd takes Path as systemd's "slice:prefix:name".
	Systemd bool
	// Layout is the host's hierarchies; nil detects them (tests pass a
	// directory laid out like cgroupfs).
	Layout *Layout
	// DeviceFilter enforces device rules on cgroup2 (package
	// v2/devfilter's Load); without it, Set refuses device rules there.
	// Only the runtime sets them, and only it links the BPF library.
	DeviceFilter v2.DeviceFilter
}

// New returns the Manager for a container's cgroup on this host's
// hierarchies. It only reads (mountinfo and the cgroup2 root's controllers).
func New(cfg Config) (Manager, error) {
	p, err := resolvePath(cfg)
	if err != nil {
		return nil, err
	}
	l := cfg.Layout
	if l == nil {
		if l, err = DetectLayout(); err != nil {
			return nil, err
		}
	}
	m := newManager(l, parentOf(cfg), p, cfg.DeviceFilter)
	if cfg.Systemd {
		return newSystemd(cfg, m)
	}
	return m, nil
}

func parentOf(cfg Config) string { return CleanParent(cfg.Parent) }

// CleanParent is a configured parent as the managers use it: relative to
// each hierarchy's root, cleaned, DefaultParent if empty.
func CleanParent(parent string) string {
	if parent == "" {
		return DefaultParent
	}
	return strings.Trim(path.Clean("/"+parent), "/")
}
