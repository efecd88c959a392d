package shim

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	taskapi "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types/task"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jinn-containers/jinn/internal/runtime"
)

// Exec records an exec process; Start runs it.
func (s *service) Exec(ctx context.Context, r *taskapi.ExecProcessRequest) (*emptypb.Empty, error) {
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	if c.init.status() == task.Status_STOPPED {
		return nil, errorf(codes.FailedPrecondition, "container %s is not running", r.ID)
	}
	var ps specs.Process
	if r.Spec == nil || json.Unmarshal(r.Spec.Value, &ps) != nil {
		return nil, errorf(codes.InvalidArgument, "exec %s: the process spec is not valid JSON", r.ExecID)
	}
	if err := runtime.ValidateID(r.ExecID); err != nil {
		return nil, errorf(codes.InvalidArgument, "exec id: %v", err)
	}
	if len(ps.Args) == 0 {
		return nil, errorf(codes.InvalidArgument, "exec %s: process args must not be empty", r.ExecID)
	}
	if ps.Terminal != r.Terminal {
		return nil, errorf(codes.InvalidArgument, "exec %s: terminal %v does not match the process spec", r.ExecID, r.Terminal)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.execs[r.ExecID] != nil {
		return nil, errorf(codes.AlreadyExists, "exec %s of container %s: already exists", r.ExecID, r.ID)
	}
	io := &stdio{stdin: r.Stdin, stdout: r.Stdout, stderr: r.Stderr, terminal: r.Terminal}
	p := newProcess(r.ExecID, io)
	p.spec = &ps
	c.execs[r.ExecID] = p
	s.pub.publish("/tasks/exec-added", &eventstypes.TaskExecAdded{ContainerID: r.ID, ExecID: r.ExecID})
	return empty, nil
}

func (s *service) startExec(c *container, p *process) (*taskapi.StartResponse, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started || p.exited {
		return nil, errorf(codes.FailedPrecondition, "exec %s: already started", p.execID)
	}
	rec := p.io
	io, err := newStdio(rec.stdin, rec.stdout, rec.stderr, rec.terminal)
	if err != nil {
		return nil, errorf(codes.Unknown, "exec %s: open stdio: %v", p.execID, err)
	}
	p.io = io
	pid, err := c.rt.Exec(runtime.ExecOpts{ID: c.id, Process: p.spec, Stdio: io.files, Console: io.remote})
	if err != nil {
		io.close()
		p.exited, p.exitStatus, p.exitedAt = true, 255, time.Now()
		close(p.done)
		if errors.Is(err, runtime.ErrNotExist) {
			return nil, fromRuntime(err)
		}
		return nil, errorf(codes.Unknown, "%v", err)
	}
	p.pid, p.started = pid, true
	if err := io.started(); err != nil {
		unix.Kill(pid, unix.SIGKILL)
	}
	s.track(pid, true)
	go p.wait(func(p *process) {
		s.track(p.pid, false)
		st, at := p.exit()
		s.pub.publish("/tasks/exit", &eventstypes.TaskExit{ContainerID: c.id, ID: p.execID, Pid: uint32(p.pid),
			ExitStatus: st, ExitedAt: timestamppb.New(at)})
	})
	s.pub.publish("/tasks/exec-started", &eventstypes.TaskExecStarted{ContainerID: c.id, ExecID: p.execID, Pid: uint32(pid)})
	return &taskapi.StartResponse{Pid: uint32(pid)}, nil
}

// CloseIO closes a process's stdin.
func (s *service) CloseIO(ctx context.Context, r *taskapi.CloseIORequest) (*emptypb.Empty, error) {
	_, p, err := s.process(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	if r.Stdin {
		p.stdio().closeStdin()
	}
	return empty, nil
}

// ResizePty sets the size of a process's terminal.
func (s *service) ResizePty(ctx context.Context, r *taskapi.ResizePtyRequest) (*emptypb.Empty, error) {
	_, p, err := s.process(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	if err := p.stdio().resize(r.Width, r.Height); err != nil {
		return nil, errorf(codes.FailedPrecondition, "resize: %v", err)
	}
	return empty, nil
}
