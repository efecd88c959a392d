package monitor

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
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
		// SIGCHLD wakes us; the slow tick is a safety net (a lost wakeup
		// was seen under load), costing one wait4 a second.
		t := time.NewTicker(time.Second)
		for {
			select {
			case <-ch:
			case <-t.C:
			}
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

// errTimeout: a runtime command did not finish in time and was killed.
var errTimeout = errors.New("timed out")

// run starts argv with the given stdio and waits for it, at most d (0: no
// limit) or until abort is closed; then it kills it.
func (r *reaper) run(argv []string, files []*os.File, d time.Duration, abort <-chan struct{}) (syscall.WaitStatus, error) {
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{Files: files})
	if err != nil {
		return 0, err
	}
	pid := p.Pid
	p.Release()
	ch := r.wait(pid)
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case ws := <-ch:
		return ws, nil
	case <-timeout:
	case <-abort:
	}
	syscall.Kill(pid, syscall.SIGKILL)
	<-ch
	return 0, errTimeout
}

// exitCode is docker's exit code for a wait status.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
