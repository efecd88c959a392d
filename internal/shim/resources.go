package shim

import (
	"context"

	"encoding/json"

	runcopts "github.com/containerd/containerd/api/types/runc/options"

	eventstypes "github.com/containerd/containerd/api/events"
	taskapi "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types/task"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Pids lists the container's processes; an exec's carries its id, as
// with the runc shim.
func (s *service) Pids(ctx context.Context, r *taskapi.PidsRequest) (*taskapi.PidsResponse, error) {
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	pids, err := c.rt.Pids(r.ID)
	if err != nil {
		return nil, fromRuntime(err)
	}
	execs := map[uint32]string{}
	c.mu.Lock()
	for id, p := range c.execs {
		p.mu.Lock()
		if p.started && !p.exited {
			execs[uint32(p.pid)] = id
		}
		p.mu.Unlock()
	}
	c.mu.Unlock()
	resp := &taskapi.PidsResponse{}
	for _, pid := range pids {
		pi := &task.ProcessInfo{Pid: uint32(pid)}
		if id, ok := execs[pi.Pid]; ok {
			if a, err := marshalAny(&runcopts.ProcessDetails{ExecID: id}); err == nil {
				pi.Info = a
			}
		}
		resp.Processes = append(resp.Processes, pi)
	}
	return resp, nil
}

// Pause freezes the container.
func (s *service) Pause(ctx context.Context, r *taskapi.PauseRequest) (*emptypb.Empty, error) {
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.rt.Pause(r.ID); err != nil {
		return nil, fromRuntime(err)
	}
	c.paused = true
	s.pub.publish("/tasks/paused", &eventstypes.TaskPaused{ContainerID: r.ID})
	return empty, nil
}

// Resume thaws it.
func (s *service) Resume(ctx context.Context, r *taskapi.ResumeRequest) (*emptypb.Empty, error) {
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.rt.Resume(r.ID); err != nil {
		return nil, fromRuntime(err)
	}
	c.paused = false
	s.pub.publish("/tasks/resumed", &eventstypes.TaskResumed{ContainerID: r.ID})
	return empty, nil
}

// Checkpoint is not supported: jinn has no CRIU integration.
func (s *service) Checkpoint(ctx context.Context, r *taskapi.CheckpointTaskRequest) (*emptypb.Empty, error) {
	return nil, errorf(codes.Unimplemented, "checkpoint is not supported by jinn-shim")
}

// Update sets new resource limits (a LinuxResources as JSON).
func (s *service) Update(ctx context.Context, r *taskapi.UpdateTaskRequest) (*emptypb.Empty, error) {
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	var res specs.LinuxResources
	if r.Resources == nil || json.Unmarshal(r.Resources.Value, &res) != nil {
		return nil, errorf(codes.InvalidArgument, "update %s: resources are not valid JSON", r.ID)
	}
	if err := c.rt.Update(r.ID, &res); err != nil {
		return nil, fromRuntime(err)
	}
	return empty, nil
}

// Stats reads the container's cgroup (stats.go).
func (s *service) Stats(ctx context.Context, r *taskapi.StatsRequest) (*taskapi.StatsResponse, error) {
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	st, err := c.rt.Stats(r.ID)
	if err != nil {
		return nil, fromRuntime(err)
	}
	a, err := metrics(st)
	if err != nil {
		return nil, errorf(codes.Unknown, "stats: %v", err)
	}
	return &taskapi.StatsResponse{Stats: a}, nil
}
