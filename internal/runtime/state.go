package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	"github.com/jinn-containers/jinn/internal/jsonlite"
)

// The errors runc prints, word for word: engines match on them.
var (
	ErrNotExist   = errors.New("container does not exist")
	ErrExist      = errors.New("container with given ID already exists")
	ErrNotRunning = errors.New("container not running")
)

const (
	stateFile = "state.json"
	fifoName  = "exec.fifo"
)

// State is what a container leaves under --root: written once by create,
// never rewritten. Its status is derived from the init process and the
// exec fifo, so no command needs to update it and nothing depends on a
// runtime process staying alive.
type State struct {
	ID        string    `json:"id"`
	Pid       int       `json:"init_process_pid"`
	StartTime uint64    `json:"init_process_start"` // guards against pid reuse
	Bundle    string    `json:"bundle"`
	Rootfs    string    `json:"rootfs"`
	Created   time.Time `json:"created"`
	Cgroup    string    `json:"cgroup_path,omitempty"`
	Systemd   bool      `json:"systemd_cgroup,omitempty"` // --systemd-cgroup
	// CgroupParent is the parent the container's cgroup was made under;
	// empty in states of older versions, which used "jinn".
	CgroupParent string `json:"cgroup_parent,omitempty"`
	// CgroupMounts and CgroupControllers are the host's cgroup layout
	// when the container was made (cgroups.Layout: its mounts, and the
	// controllers of its cgroup2 root); empty in older states.
	CgroupMounts      []cgroups.Mount `json:"cgroup_mounts,omitempty"`
	CgroupControllers []string        `json:"cgroup2_controllers,omitempty"`
	// Config is the bundle's config.json as it was read; Spec is it
	// decoded.
	Config json.RawMessage `json:"config"`
	Spec   *specs.Spec     `json:"-"`
}

// Container is one locked entry of the store.
type Container struct {
	Dir    string
	State  State
	lock   int
	mgr    cgroups.Manager // made on first use
	layout *cgroups.Layout // the host's cgroup mounts (cgroupLayout)
	// partSpec: State.Spec holds only part of the config (FullSpec).
	partSpec bool
}

// ValidateID enforces runc's id rule: letters, digits and _+-. only, no
// "." or "..", at most 1024 bytes.
func ValidateID(id string) error {
	if id == "" {
		return errors.New("container id cannot be empty")
	}
	if id == "." || id == ".." || len(id) > 1024 {
		return fmt.Errorf("invalid container id format: %s", id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_+-.", c)) {
			return fmt.Errorf("invalid container id format: %s", id)
		}
	}
	return nil
}

func lockDir(dir string) (int, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// newContainer makes the container's directory, failing if it exists, and
// locks it for the rest of create.
func (r *Runtime) newContainer(id string) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.Root, 0o700); err != nil {
		return nil, fmt.Errorf("make state root: %w", err)
	}
	dir := filepath.Join(r.Root, id)
	if err := unix.Mkdir(dir, 0o711); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return nil, ErrExist
		}
		return nil, fmt.Errorf("make state dir: %w", err)
	}
	fd, err := lockDir(dir)
	if err != nil {
		os.Remove(dir)
		return nil, err
	}
	return &Container{Dir: dir, lock: fd, State: State{ID: id}}, nil
}

// Load locks and reads container id. A directory without state is a
// create that died midway: it does not exist.
func (r *Runtime) Load(id string) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(r.Root, id)
	fd, err := lockDir(dir)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, ErrNotExist
		}
		return nil, err
	}
	c := &Container{Dir: dir, lock: fd}
	if err := c.read(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Container) read() error {
	// Plain syscalls: state, kill and delete then never start the
	// netpoller (an epoll instance and an eventfd for one file).
	b, err := cgfs.ReadFile(filepath.Join(c.Dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return ErrNotExist
	}
	if err != nil {
		return err
	}
	if err := jsonlite.Decode(b, &c.State); err != nil {
		return fmt.Errorf("read state of %s: %w", filepath.Base(c.Dir), err)
	}
	c.State.Spec = new(specs.Spec)
	if err := decodeStoredSpec(c.State.Config, c.State.Spec); err != nil {
		return fmt.Errorf("read config of %s: %w", filepath.Base(c.Dir), err)
	}
	c.partSpec = true
	return nil
}

// FullSpec is the container's whole config: read only holds what the
// commands other than exec need (decodeStoredSpec).
func (c *Container) FullSpec() (*specs.Spec, error) {
	if c.partSpec {
		s := new(specs.Spec)
		if err := decodeSpec(c.State.Config, s); err != nil {
			return nil, fmt.Errorf("read config of %s: %w", filepath.Base(c.Dir), err)
		}
		c.State.Spec, c.partSpec = s, false
	}
	return c.State.Spec, nil
}

// save writes the state by rename.
func (c *Container) save() error {
	if err := atomicfile.WriteFile(filepath.Join(c.Dir, stateFile), c.State.marshal(), 0o600); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// relock takes the lock again after Close; a container deleted meanwhile
// does not exist.
func (c *Container) relock() error {
	fd, err := lockDir(c.Dir)
	if err != nil {
		return ErrNotExist
	}
	c.lock = fd
	if _, err := os.Stat(filepath.Join(c.Dir, stateFile)); err != nil {
		c.Close()
		return ErrNotExist
	}
	return nil
}

// Close unlocks the container.
func (c *Container) Close() {
	if c.lock >= 0 {
		unix.Close(c.lock)
		c.lock = -1
	}
}

// Status is created, running or stopped ("creating" is never seen: create
// holds the lock until the state is written).
//
// Created means the init still waits before execve: its exec.fifo exists
// and it still bears initComm. Both, because a start killed at the wrong
// moment can leave the fifo behind a program that runs.
func (c *Container) Status() specs.ContainerState {
	comm, ok := procAlive(c.State.Pid, c.State.StartTime)
	if !ok {
		return specs.StateStopped
	}
	if c.frozen() {
		return StatePaused
	}
	if comm == initComm {
		if _, err := os.Lstat(filepath.Join(c.Dir, fifoName)); err == nil {
			return specs.StateCreated
		}
	}
	return specs.StateRunning
}

// initComm is the name the container's init takes until it execs the user
// program (execve renames the process).
const initComm = "jinn:[init]"

// procStat returns a process's state letter and start time.
func procStat(pid int) (byte, uint64, error) {
	st, start, _, err := procStatComm(pid)
	return st, start, err
}

// procStatComm is procStat with the process's name.
func procStatComm(pid int) (byte, uint64, string, error) {
	b, err := cgfs.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, "", err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	j := strings.IndexByte(s, '(')
	if i < 0 || j < 0 || j > i || i+2 >= len(s) {
		return 0, 0, "", fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 20 {
		return 0, 0, "", fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	return f[0][0], start, s[j+1 : i], err
}

func alive(pid int, start uint64) bool {
	_, ok := procAlive(pid, start)
	return ok
}

// procAlive says whether the process started at start still runs, and
// returns its name.
func procAlive(pid int, start uint64) (string, bool) {
	if pid <= 0 {
		return "", false
	}
	st, s, comm, err := procStatComm(pid)
	return comm, err == nil && s == start && st != 'Z' && st != 'X'
}

// OCIState is the state JSON of `state`, with runc's extra fields.
type OCIState struct {
	specs.State
	Rootfs  string    `json:"rootfs"`
	Created time.Time `json:"created"`
	Owner   string    `json:"owner"`
}

// OCI returns the container's state as `state` prints it and hooks read it.
func (c *Container) OCI() OCIState {
	st := c.Status()
	pid := c.State.Pid
	if st == specs.StateStopped {
		pid = 0
	}
	s := OCIState{
		State: specs.State{Version: specs.Version, ID: c.State.ID, Status: st, Pid: pid,
			Bundle: c.State.Bundle},
		Rootfs: c.State.Rootfs, Created: c.State.Created,
	}
	if c.State.Spec != nil {
		s.Annotations = c.State.Spec.Annotations
	}
	return s
}

// List reads every container's state without locking.
func (r *Runtime) List() ([]OCIState, error) {
	ents, err := os.ReadDir(r.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []OCIState
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		c := &Container{Dir: filepath.Join(r.Root, e.Name()), lock: -1}
		if c.read() == nil {
			out = append(out, c.OCI())
		}
	}
	return out, nil
}
