// Package cgroups puts containers in cgroups and applies their resource
// limits. A Manager drives one container's cgroup on whatever hierarchies the
// host has: pure v1, pure v2, or a hybrid where each controller is driven on
// the hierarchy that holds it.
package cgroups

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Manager is one container's cgroup. It is cheap to make: New does no I/O,
// so the runtime can rebuild a Manager from saved state in every command.
type Manager interface {
	// Apply creates the cgroup (on every hierarchy) and moves pid into it.
	// pid 0 creates the cgroup without moving anything.
	Apply(pid int) error
	// Set writes the resource limits; it may be called again (update).
	Set(r *specs.LinuxResources) error
	// Join moves pid into the existing cgroup (exec).
	Join(pid int) error
	// Freeze and Thaw back pause and resume.
	Freeze() error
	Thaw() error
	// Pids lists every process in the cgroup.
	Pids() ([]int, error)
	// Kill sends SIGKILL to every process in the cgroup (kill --all, delete).
	Kill() error
	// Destroy kills what lingers and removes the cgroup everywhere.
	Destroy() error
	// Path is the cgroup's path relative to each hierarchy's root.
	Path() string
}

// Config says where a container's cgroup lives.
type Config struct {
	// Path is linux.cgroupsPath, or empty for the default under Parent.
	Path string
	// Name is the container id, used for the default path.
	Name string
	// Parent is jinn's own parent cgroup ("jinn" by default).
	Parent string
}

// ErrNotImplemented is returned by the placeholder until the drivers land.
var ErrNotImplemented = errors.New("cgroups: not implemented")

// New returns the Manager for a container's cgroup on this host's
// hierarchies. It does no I/O beyond finding the hierarchies.
func New(cfg Config) (Manager, error) {
	return nil, ErrNotImplemented
}
