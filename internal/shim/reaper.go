package shim

import (
	"context"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// reapStrays collects the zombies that are not ours to wait for. The shim
// is a child subreaper: a process of a container without a pid namespace
// of its own whose parent dies becomes our child. Our inits and execs are
// waited for by pid (process.wait), and the runtime library waits for its
// own helpers (hooks, the C stage's middle process) by pid at once: a
// zombie child that no tracked waiter owns and that is still a zombie a
// second later is a stray, and only then is it reaped, by its pid.
func (s *service) reapStrays(ctx context.Context) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGCHLD)
	defer signal.Stop(sigs)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	seen := map[int]bool{} // zombies at the last look
	pending := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-sigs:
			pending = true
			continue
		case <-tick.C:
		}
		if !pending && len(seen) == 0 {
			continue
		}
		pending = false
		now := map[int]bool{}
		for _, pid := range zombieChildren() {
			s.mu.Lock()
			ours := s.tracked[pid]
			s.mu.Unlock()
			if ours {
				continue
			}
			if seen[pid] {
				var ws unix.WaitStatus
				unix.Wait4(pid, &ws, unix.WNOHANG, nil)
				continue
			}
			now[pid] = true
		}
		seen = now
	}
}

// zombieChildren lists our children that are zombies.
func zombieChildren() []int {
	tasks, _ := os.ReadDir("/proc/self/task")
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			st, err := os.ReadFile("/proc/" + f + "/stat")
			if err != nil {
				continue
			}
			// The state follows the command, which is in parentheses.
			if i := strings.LastIndexByte(string(st), ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				out = append(out, pid)
			}
		}
	}
	return out
}
