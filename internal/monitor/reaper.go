package monitor

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// reaper reaps every child of the monitor (it is a child subreaper, so the
// container's init and orphans land here) and hands exit statuses to
// whoever waits for a pid. os/exec is not used: its Wait would race us.
type reaper struct {
	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus
	done    map[int]syscall.WaitStatus
}

func newReaper() *reaper {
	r := &reaper{waiters: map[int]chan syscall.WaitStatus{}, done: map[int]syscall.WaitStatus{}}
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGCHLD)
	go func() {
		for range ch {
			r.reap()
		}
	}()
	return r
}

func (r *reaper) reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		r.mu.Lock()
		if ch, ok := r.waiters[pid]; ok {
			delete(r.waiters, pid)
			ch <- ws
		} else {
			r.done[pid] = ws
		}
		r.mu.Unlock()
	}
}

// wait returns a channel that receives pid's exit status.
func (r *reaper) wait(pid int) chan syscall.WaitStatus {
	ch := make(chan syscall.WaitStatus, 1)
	r.mu.Lock()
	if ws, ok := r.done[pid]; ok {
		delete(r.done, pid)
		ch <- ws
	} else {
		r.waiters[pid] = ch
	}
	r.mu.Unlock()
	// A child may have exited before SIGCHLD was handled.
	go r.reap()
	return ch
}

// run starts argv with the given stdio and waits for it.
func (r *reaper) run(argv []string, files []*os.File) (syscall.WaitStatus, error) {
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{Files: files})
	if err != nil {
		return 0, err
	}
	pid := p.Pid
	p.Release()
	return <-r.wait(pid), nil
}

// exitCode is docker's exit code for a wait status.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
