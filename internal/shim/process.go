package shim

import (
	"sync"
	"time"

	"github.com/containerd/containerd/api/types/task"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// process is a container's init (execID "") or one of its execs.
type process struct {
	execID string
	spec   *specs.Process // an exec's
	io     *stdio

	// mu orders a start's event before the exit's: the waiter takes it
	// to record the exit.
	mu         sync.Mutex
	pid        int
	started    bool
	exited     bool
	exitStatus uint32
	exitedAt   time.Time
	done       chan struct{} // closed once the exit is recorded
}

func newProcess(execID string, io *stdio) *process {
	return &process{execID: execID, io: io, done: make(chan struct{})}
}

func (p *process) status() task.Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.exited:
		return task.Status_STOPPED
	case p.started:
		return task.Status_RUNNING
	case p.pid != 0:
		return task.Status_CREATED
	}
	return task.Status_CREATED
}

// wait collects the process (our child) and records its exit; exited
// then runs with the lock released, in the waiter's goroutine.
func (p *process) wait(exited func(p *process)) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(p.pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	status := uint32(ws.ExitStatus())
	if ws.Signaled() {
		status = 128 + uint32(ws.Signal())
	}
	if io := p.stdio(); io.terminal {
		io.drain()
	}
	p.mu.Lock()
	p.exited, p.exitStatus, p.exitedAt = true, status, time.Now()
	p.mu.Unlock()
	exited(p)
	close(p.done)
}

// pidOf is the process's pid, 0 for an exec not started.
func (p *process) pidOf() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

// stdio is the process's (an exec's is replaced when it starts).
func (p *process) stdio() *stdio {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.io
}

// exit returns the recorded exit (zero values while running).
func (p *process) exit() (uint32, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitStatus, p.exitedAt
}
