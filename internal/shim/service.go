package shim

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	taskapi "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types/task"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jinn-containers/jinn/internal/runtime"
)

// service is the Task API for the containers of one pod.
type service struct {
	ctx       context.Context
	namespace string
	pub       *publisher
	log       *slog.Logger
	exit      func()

	mu         sync.Mutex
	containers map[string]*container
	tracked    map[int]bool             // pids whose waiter reaps them (reaper.go)
	releasing  map[string]chan struct{} // task id → closed when its teardown is done (teardown.go)
	deleting   sync.WaitGroup           // runtime deletes after Delete's answer (teardown.go)

	firstStart func() // run once, after the first init started (spare.go)
	started    sync.Once
}

// container is one task: its init and execs.
type container struct {
	id, bundle string
	rt         *runtime.Runtime
	spec       *specs.Spec
	mounted    bool // we mounted bundle/rootfs
	init       *process
	oomKills   func() (uint64, error) // nil: unknown
	stopOOM    context.CancelFunc
	mntNS      *nsHold // the init's mount namespace (nshold.go)

	mu      sync.Mutex
	execs   map[string]*process
	paused  bool
	oomSeen uint64 // OOM kills reported
}

func newService(ctx context.Context, ns string, pub *publisher, log *slog.Logger, exit func()) *service {
	return &service{ctx: ctx, namespace: ns, pub: pub, log: log, exit: exit,
		containers: map[string]*container{}, tracked: map[int]bool{}, releasing: map[string]chan struct{}{}}
}

var empty = &emptypb.Empty{}

// errorf makes an error containerd maps to its errdefs kinds.
func errorf(c codes.Code, format string, args ...any) error {
	return status.Errorf(c, format, args...)
}

// fromRuntime gives a runtime error the code containerd expects.
func fromRuntime(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, runtime.ErrNotExist):
		return errorf(codes.NotFound, "%v", err)
	case errors.Is(err, runtime.ErrExist):
		return errorf(codes.AlreadyExists, "%v", err)
	case errors.Is(err, runtime.ErrNotRunning):
		return errorf(codes.NotFound, "process already finished: %v", err)
	}
	return errorf(codes.Unknown, "%v", err)
}

func (s *service) get(id string) (*container, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.containers[id]
	if c == nil || c.init == nil { // nil: reserved by a Create under way
		return nil, errorf(codes.NotFound, "container %s: not found", id)
	}
	return c, nil
}

// process finds the init ("") or an exec of container id.
func (s *service) process(id, execID string) (*container, *process, error) {
	c, err := s.get(id)
	if err != nil {
		return nil, nil, err
	}
	if execID == "" {
		return c, c.init, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.execs[execID]
	if p == nil {
		return nil, nil, errorf(codes.NotFound, "exec %s of container %s: not found", execID, id)
	}
	return c, p, nil
}

func (s *service) track(pid int, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.tracked[pid] = true
	} else {
		delete(s.tracked, pid)
	}
}

// Create makes the container: rootfs, stdio, and the runtime's create,
// which leaves the init waiting for Start.
func (s *service) Create(ctx context.Context, r *taskapi.CreateTaskRequest) (_ *taskapi.CreateTaskResponse, err error) {
	if r.Checkpoint != "" || r.ParentCheckpoint != "" {
		return nil, errorf(codes.Unimplemented, "checkpoint and restore are not supported by jinn-shim")
	}
	if err := runtime.ValidateID(r.ID); err != nil {
		return nil, errorf(codes.InvalidArgument, "%v", err)
	}
	opts, err := parseOptions(r.Options)
	if err != nil {
		return nil, errorf(codes.InvalidArgument, "%v", err)
	}
	s.mu.Lock()
	if s.containers[r.ID] != nil {
		s.mu.Unlock()
		return nil, errorf(codes.AlreadyExists, "container %s: already exists", r.ID)
	}
	c := &container{id: r.ID, bundle: r.Bundle, rt: newRuntime(opts, s.namespace, s.log), execs: map[string]*process{}}
	s.containers[r.ID] = c // reserved while being made
	s.mu.Unlock()
	defer func() {
		if err != nil {
			s.mu.Lock()
			delete(s.containers, r.ID)
			s.mu.Unlock()
		}
	}()
	st := s.steps()
	defer st.log(s.log, "create")
	// The same task made again: its old state, options and rootfs go
	// first.
	s.waitReleased(r.ID)
	if err := writeBundleOptions(r.Bundle, opts); err != nil {
		return nil, errorf(codes.Unknown, "write options: %v", err)
	}
	if err := mountRootfs(r.Bundle, r.Rootfs); err != nil {
		return nil, errorf(codes.Unknown, "%v", err)
	}
	c.mounted = len(r.Rootfs) > 0
	st.mark("mount")
	var io *stdio
	defer func() {
		if err != nil {
			if io != nil {
				io.close()
			}
			if c.mounted {
				unmountRootfs(r.Bundle)
			}
		}
	}()
	co := runtime.CreateOpts{ID: r.ID, Bundle: r.Bundle, NoPivot: opts.NoPivotRoot, NoNewKeyring: opts.NoNewKeyring}
	if err := co.Load(); err != nil {
		return nil, errorf(codes.InvalidArgument, "%v", err)
	}
	st.mark("load")
	if co.Spec.Process.Terminal != r.Terminal {
		return nil, errorf(codes.InvalidArgument, "terminal %v does not match the spec's process.terminal %v", r.Terminal, co.Spec.Process.Terminal)
	}
	c.spec = co.Spec
	if io, err = newStdio(r.Stdin, r.Stdout, r.Stderr, r.Terminal); err != nil {
		return nil, errorf(codes.Unknown, "open stdio: %v", err)
	}
	co.Stdio, co.Console = io.files, io.remote
	st.mark("stdio")
	created, err := c.rt.Create(co)
	if err != nil {
		return nil, fromRuntime(err)
	}
	st.mark("rt.create")
	s.watchOOM(c, created.Container)
	st.mark("oom")
	created.Close()
	p := newProcess("", io)
	p.pid = created.Pid
	if _, own := nsOf(c.spec, specs.MountNamespace); own {
		c.mntNS = holdNS(p.pid, "mnt")
		if c.mntNS == nil {
			s.log.Debug("mount namespace not held", "container", c.id)
		}
	}
	s.mu.Lock()
	c.init = p // the task is visible from here on
	s.mu.Unlock()
	if err := io.started(); err != nil {
		c.mntNS.release()
		if c.stopOOM != nil {
			c.stopOOM()
		}
		c.rt.Delete(r.ID, true)
		unix.Wait4(p.pid, nil, 0, nil)
		return nil, errorf(codes.Unknown, "console: %v", err)
	}
	s.track(p.pid, true)
	// Queued before the waiter can queue an exit.
	s.pub.publish("/tasks/create", &eventstypes.TaskCreate{ContainerID: r.ID, Bundle: r.Bundle, Rootfs: r.Rootfs,
		IO: &eventstypes.TaskIO{Stdin: r.Stdin, Stdout: r.Stdout, Stderr: r.Stderr, Terminal: r.Terminal}, Pid: uint32(p.pid)})
	go p.wait(func(p *process) { s.initExited(c, p) })
	return &taskapi.CreateTaskResponse{Pid: uint32(p.pid)}, nil
}

// watchOOM publishes the container's OOM kills as the kernel reports them
// (memory.oom_control on v1, memory.events on v2): CRI marks a container
// OOMKilled from TaskOOM.
func (s *service) watchOOM(c *container, rc *runtime.Container) {
	ctx, cancel := context.WithCancel(s.ctx)
	notify, kills, err := c.rt.OOMWatch(ctx, rc)
	if err != nil {
		cancel()
		s.log.Debug("oom watch", "container", c.id, "err", err)
		return
	}
	c.oomKills, c.stopOOM = kills, cancel
	go func() {
		for range notify {
			s.reportOOM(c, true)
		}
	}()
}

// reportOOM publishes TaskOOM if the cgroup counts an OOM kill not yet
// reported (or, notified, where it cannot count them).
func (s *service) reportOOM(c *container, notified bool) {
	if c.oomKills == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.oomKills()
	switch {
	case err != nil && notified:
	case err == nil && n > c.oomSeen:
		c.oomSeen = n
	default:
		return
	}
	s.pub.publish("/tasks/oom", &eventstypes.TaskOOM{ContainerID: c.id})
}

func (s *service) initExited(c *container, p *process) {
	s.track(p.pid, false)
	s.reportOOM(c, false) // an OOM kill is reported before the exit
	if _, own := nsOf(c.spec, specs.PIDNamespace); !own {
		// Nothing ends the init's children with it: the runc shim kills
		// them too.
		c.rt.Kill(c.id, unix.SIGKILL, true)
	}
	st, at := p.exit()
	s.pub.publish("/tasks/exit", &eventstypes.TaskExit{ContainerID: c.id, ID: c.id, Pid: uint32(p.pid),
		ExitStatus: st, ExitedAt: timestamppb.New(at)})
	// A task that is not deleted soon (ctr's detached tasks) does not
	// keep its mounts (a tmpfs's pages) for long (nshold.go).
	time.AfterFunc(nsHoldAfterExit, c.mntNS.release)
}

func nsOf(s *specs.Spec, t specs.LinuxNamespaceType) (specs.LinuxNamespace, bool) {
	if s != nil && s.Linux != nil {
		for _, ns := range s.Linux.Namespaces {
			if ns.Type == t && ns.Path == "" {
				return ns, true
			}
		}
	}
	return specs.LinuxNamespace{}, false
}

// Start starts the init or an exec.
func (s *service) Start(ctx context.Context, r *taskapi.StartRequest) (*taskapi.StartResponse, error) {
	c, p, err := s.process(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	if r.ExecID != "" {
		return s.startExec(c, p)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started || p.exited {
		return nil, errorf(codes.FailedPrecondition, "container %s: already started", r.ID)
	}
	if err := c.rt.Start(r.ID); err != nil {
		return nil, fromRuntime(err)
	}
	p.started = true
	s.pub.publish("/tasks/start", &eventstypes.TaskStart{ContainerID: r.ID, Pid: uint32(p.pid)})
	if s.firstStart != nil {
		s.started.Do(func() { go s.firstStart() })
	}
	return &taskapi.StartResponse{Pid: uint32(p.pid)}, nil
}

// Delete removes a stopped init (and the container) or exec.
func (s *service) Delete(ctx context.Context, r *taskapi.DeleteRequest) (*taskapi.DeleteResponse, error) {
	c, p, err := s.process(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	if r.ExecID != "" {
		if p.status() != task.Status_STOPPED && p.pidOf() != 0 {
			return nil, errorf(codes.FailedPrecondition, "exec %s is still running", r.ExecID)
		}
		c.mu.Lock()
		delete(c.execs, r.ExecID)
		c.mu.Unlock()
		p.stdio().close()
		st, at := p.exit()
		return &taskapi.DeleteResponse{Pid: uint32(p.pidOf()), ExitStatus: st, ExitedAt: timestamppb.New(at)}, nil
	}
	if st := p.status(); st == task.Status_RUNNING {
		return nil, errorf(codes.FailedPrecondition, "container %s is still running", r.ID)
	}
	dt := s.steps()
	defer dt.log(s.log, "delete")
	// An init that exited with its own pid namespace left nothing
	// running: the runtime's delete (its cgroups, its state) can follow
	// the answer (teardown.go). Otherwise it comes first: a created init
	// is killed by it (its waiter records the exit), and poststop hooks
	// run before the delete returns.
	lock := s.deleteLater(c, p)
	if lock == nil {
		if err := c.rt.Delete(r.ID, false); err != nil && !errors.Is(err, runtime.ErrNotExist) {
			return nil, fromRuntime(err)
		}
	}
	dt.mark("rt.delete")
	<-p.done
	rootfs := func() {}
	if c.mounted {
		if rootfs, err = detachRootfs(c.bundle); err != nil {
			if lock != nil {
				c.rt.Delete(r.ID, false) // as if it had not been put off
				lock.release()
			}
			return nil, errorf(codes.Unknown, "%v", err)
		}
	}
	defer s.teardown(c, lock, rootfs)
	p.stdio().close()
	if c.stopOOM != nil {
		c.stopOOM()
	}
	s.mu.Lock()
	delete(s.containers, r.ID)
	s.mu.Unlock()
	st, at := p.exit()
	s.pub.publish("/tasks/delete", &eventstypes.TaskDelete{ContainerID: r.ID, Pid: uint32(p.pid),
		ExitStatus: st, ExitedAt: timestamppb.New(at)})
	return &taskapi.DeleteResponse{Pid: uint32(p.pid), ExitStatus: st, ExitedAt: timestamppb.New(at)}, nil
}

// State reports a process.
func (s *service) State(ctx context.Context, r *taskapi.StateRequest) (*taskapi.StateResponse, error) {
	c, p, err := s.process(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	st, pid := p.status(), p.pidOf()
	c.mu.Lock()
	if r.ExecID == "" && c.paused && st == task.Status_RUNNING {
		st = task.Status_PAUSED
	}
	c.mu.Unlock()
	code, at := p.exit()
	io := p.stdio()
	resp := &taskapi.StateResponse{ID: r.ID, Bundle: c.bundle, Pid: uint32(pid), Status: st, ExecID: r.ExecID,
		Stdin: io.stdin, Stdout: io.stdout, Stderr: io.stderr, Terminal: io.terminal, ExitStatus: code}
	if !at.IsZero() {
		resp.ExitedAt = timestamppb.New(at)
	}
	return resp, nil
}

// Wait blocks until the process exits.
func (s *service) Wait(ctx context.Context, r *taskapi.WaitRequest) (*taskapi.WaitResponse, error) {
	_, p, err := s.process(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	st, at := p.exit()
	return &taskapi.WaitResponse{ExitStatus: st, ExitedAt: timestamppb.New(at)}, nil
}

// Kill signals the init (with All, every process of the container) or an
// exec.
func (s *service) Kill(ctx context.Context, r *taskapi.KillRequest) (*emptypb.Empty, error) {
	c, p, err := s.process(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	sig := unix.Signal(r.Signal)
	if r.ExecID != "" {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.started || p.exited {
			return nil, errorf(codes.NotFound, "exec %s: process already finished", r.ExecID)
		}
		if err := unix.Kill(p.pid, sig); err != nil {
			return nil, errorf(codes.Unknown, "kill exec %s: %v", r.ExecID, err)
		}
		return empty, nil
	}
	if !r.All {
		return empty, s.signalInit(r.ID, p, sig)
	}
	if p.status() == task.Status_STOPPED {
		if _, own := nsOf(c.spec, specs.PIDNamespace); own {
			// The kernel ended every process of the init's pid namespace
			// before the init could be reaped: nothing is left to signal
			// (containerd sends this after every exit, before Delete).
			return empty, nil
		}
	}
	if err := c.rt.Kill(r.ID, sig, r.All); err != nil {
		if r.All && errors.Is(err, runtime.ErrNotRunning) {
			return empty, nil
		}
		return nil, fromRuntime(err)
	}
	return empty, nil
}

// signalInit signals the init itself: it is our child, and its pid
// cannot be reused before its waiter reaps it, which records the exit
// under p.mu first (the runtime's kill would load the container's state
// for the same signal: ~0.4 ms of every stop).
func (s *service) signalInit(id string, p *process, sig unix.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return errorf(codes.NotFound, "container %s: process already finished", id)
	}
	if err := unix.Kill(p.pid, sig); err != nil {
		if err == unix.ESRCH {
			return errorf(codes.NotFound, "container %s: process already finished", id)
		}
		return errorf(codes.Unknown, "kill container %s: %v", id, err)
	}
	return nil
}

// Connect tells containerd the shim's and the init's pids.
func (s *service) Connect(ctx context.Context, r *taskapi.ConnectRequest) (*taskapi.ConnectResponse, error) {
	resp := &taskapi.ConnectResponse{ShimPid: uint32(os.Getpid())}
	if c, err := s.get(r.ID); err == nil && c.init != nil {
		resp.TaskPid = uint32(c.init.pid)
	}
	return resp, nil
}

// Shutdown ends the shim once it has no task left.
func (s *service) Shutdown(ctx context.Context, r *taskapi.ShutdownRequest) (*emptypb.Empty, error) {
	s.mu.Lock()
	n := len(s.containers)
	s.mu.Unlock()
	if n > 0 && !r.Now {
		return empty, nil
	}
	s.exit()
	return empty, nil
}

var _ taskapi.TaskService = (*service)(nil)
