package monitor

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// reaper reaps every child of the monitor (it is a child subreaper, so the
// container's init and orphans land here) and hands exit statuses to
// whoever waits for a pid. os/exec is not used: its Wait would race us.
// A waited pid wakes the reaper through its pidfd (see pidfd.go); orphans
// are reaped by a slow tick.
type reaper struct {
	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus
	done    map[int]syscall.WaitStatus
	sigOnce sync.Once // SIGCHLD, only where pidfds are missing (before 5.3)
}

func newReaper() *reaper {
	r := &reaper{waiters: map[int]chan syscall.WaitStatus{}, done: map[int]syscall.WaitStatus{}}
	go func() {
		// Orphans reparented to us (a --pid host container's daemons)
		// and a wake-up lost anyway. Not sooner: a thousand idle
		// monitors would wake the host a thousand times a second.
		for range time.Tick(reapTick) {
			r.reap()
		}
	}()
	return r
}

// reapTick is how often the reaper looks for children nobody waits for.
const reapTick = 10 * time.Second

// sigchld makes every SIGCHLD reap: the wake-up where pidfds are missing.
// It costs a thread that os/signal's receiver holds for good.
func (r *reaper) sigchld() {
	r.sigOnce.Do(func() {
		ch := make(chan os.Signal, 16)
		signal.Notify(ch, syscall.SIGCHLD)
		go func() {
			for range ch {
				r.reap()
			}
		}()
	})
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
	go func() {
		// A pidfd of a pid already reaped fails (ESRCH): its status is
		// in done or went to ch. One of a pid reused since then names
		// another process: a goroutine waits for that one in vain,
		// and the reap below has delivered ours anyway.
		f, err := pidfdOpen(pid)
		if err != nil {
			if err != unix.ESRCH {
				r.sigchld()
			}
			r.reap()
			return
		}
		waitExit(f)
		// The exit may come before the process is ours to reap: a
		// container's init is the child of the runtime's helper until
		// that exits too (crun), and is then handed to us as a zombie.
		for d := time.Millisecond; d < reapTick; d *= 2 {
			r.reap()
			if !r.waiting(pid) {
				return
			}
			time.Sleep(d)
		}
	}()
	return ch
}

// waiting says whether pid's exit status is still awaited.
func (r *reaper) waiting(pid int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.waiters[pid]
	return ok
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
