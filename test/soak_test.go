package test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// soakCycles is how many cycles of each kind TestEngineSoak runs:
// JINN_SOAK=1000 for the full campaign, a short run otherwise.
func soakCycles() (n int, full bool) {
	if v := os.Getenv("JINN_SOAK"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n, true
		}
	}
	return 20, false
}

// TestEngineSoak runs `run --rm` cycles and `run -d` / `exec` / `stop` /
// `rm -f` cycles with random flags (network none, the default bridge or
// a user network, published ports, anonymous, named and bind volumes,
// memory and pids limits, restart policies, --init, a tty), 8 at a time,
// and then counts what is left on the host: every row of the leak table
// must be 0. JINN_SOAK=N runs N cycles of each kind (1,000 for the
// campaign); the default is a short run that `make test` always does.
// JINN_SOAK_SEED replays one run's random choices.
func TestEngineSoak(t *testing.T) {
	n, full := soakCycles()
	s := newSoak(t)
	s.probe()
	start := time.Now()
	s.cycles(2*n, 8)
	d := time.Since(start)
	s.report()
	s.finish()
	rows := s.w.assertNoLeaks(t)
	t.Logf("soak: %d run --rm + %d run -d cycles in %v (%.1f cycles/s, seed %d)", s.rmDone.Load(), s.dDone.Load(), d.Round(time.Millisecond),
		float64(2*n)/d.Seconds(), s.seed)
	if full {
		fmt.Printf("soak table (%d + %d cycles, %v):\n%s", s.rmDone.Load(), s.dDone.Load(), d.Round(time.Second), formatLeaks(rows))
	}
}

// probe proves the leak count right: one container with a port and an
// anonymous volume on the default bridge shows in every row but one.
func (s *soak) probe() {
	id := strings.TrimSpace(s.j.ok("run", "-d", "--name", "soak-probe", "-p", "80", "-v", "/data", "busybox", "sleep", "600"))
	s.w.saw(id)
	for _, r := range s.w.count() {
		if len(r.items) == 0 && r.what != "other processes" {
			s.t.Errorf("the leak count sees no %s of a running container", r.what)
		}
	}
	s.j.ok("rm", "-f", "-v", id)
}

// soak drives random container cycles against one store.
type soak struct {
	t    *testing.T
	j    *jinnEnv
	w    *leakWatch
	seed int64
	net  string // a user network
	vol  string // a named volume
	bind string // a host directory bind-mounted read-only
	// faulty: commands may fail (a fault is being injected); only
	// what is left afterwards is judged.
	faulty bool

	rmDone, dDone, failed, hung atomic.Int64
	mu                          sync.Mutex
	errs                        []string
	faultErrs                   []string // commands that failed under a fault
}

func newSoak(t *testing.T) *soak {
	j := newJinn(t, "jinn-runtime")
	return newSoakOn(t, j)
}

func newSoakOn(t *testing.T, j *jinnEnv) *soak {
	seed := time.Now().UnixNano()
	if v := os.Getenv("JINN_SOAK_SEED"); v != "" {
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	s := &soak{t: t, j: j, seed: seed, net: "soaknet", vol: "soakvol", bind: t.TempDir()}
	os.WriteFile(filepath.Join(s.bind, "f"), []byte("bound\n"), 0o644)
	j.image()
	j.ok("network", "create", s.net)
	j.ok("volume", "create", s.vol)
	s.w = newLeakWatch(j)
	s.w.network(s.net)
	t.Cleanup(func() {
		j.run("network", "rm", s.net)
		j.run("network", "prune", "-f")
	})
	return s
}

// jinn runs one command; it never calls t.Fatal (it runs in goroutines).
// A command that hangs for two minutes is killed and counted: no fault
// may leave a command waiting forever.
func (s *soak) jinn(args ...string) (string, string, int) {
	c := s.j.cmd(args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Start(); err != nil {
		return "", err.Error(), -2
	}
	timer := time.AfterFunc(2*time.Minute, func() {
		s.hung.Add(1)
		s.mu.Lock()
		s.errs = append(s.errs, fmt.Sprintf("hung for 2 minutes: %v", args))
		s.mu.Unlock()
		c.Process.Kill()
	})
	err := c.Wait()
	timer.Stop()
	if strings.Contains(errb.String(), "panic:") || strings.Contains(errb.String(), "goroutine ") {
		s.mu.Lock()
		s.errs = append(s.errs, fmt.Sprintf("%v panicked: %s", args, errb.String()))
		s.mu.Unlock()
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		if code := ee.ExitCode(); code > 0 && code != 137 && strings.TrimSpace(errb.String()) == "" {
			// The cycles' commands exit 0 in their containers: any other
			// code is jinn's and needs its one line (137: the container
			// was killed, which a fault may do).
			s.mu.Lock()
			s.errs = append(s.errs, fmt.Sprintf("%v: exit %d without a word (stdout %q)", args, code, out.String()))
			s.mu.Unlock()
		}
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		return out.String(), err.Error(), -2
	}
	return out.String(), errb.String(), 0
}

func (s *soak) fail(format string, a ...any) {
	s.failed.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faulty {
		s.faultErrs = append(s.faultErrs, fmt.Sprintf(format, a...))
		return
	}
	s.errs = append(s.errs, fmt.Sprintf(format, a...))
}

// cycles runs n cycles, half of each kind in random order, par at once.
func (s *soak) cycles(n, par int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(s.seed + int64(w)))
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if i%2 == 0 {
					s.cycleRm(r, int(i))
				} else {
					s.cycleDetached(r, int(i))
				}
			}
		}(w)
	}
	wg.Wait()
}

func pick[T any](r *rand.Rand, a ...T) T { return a[r.Intn(len(a))] }

// flags draws a random set of run flags; restart policies only for
// detached containers (docker refuses them with --rm).
func (s *soak) flags(r *rand.Rand, i int, detached bool) []string {
	var f []string
	network := pick(r, "bridge", "bridge", "none", s.net)
	if network != "bridge" || r.Intn(2) == 0 {
		f = append(f, "--network", network)
	}
	if network != "none" && r.Intn(2) == 0 {
		f = append(f, "-p", pick(r, "80", "127.0.0.1::8080", "127.0.0.1::53/udp"))
	}
	switch r.Intn(4) {
	case 0:
		f = append(f, "-v", "/data")
	case 1:
		f = append(f, "-v", s.vol+":/v")
	case 2:
		f = append(f, "-v", s.bind+":/b:ro")
	}
	if r.Intn(2) == 0 {
		f = append(f, "--memory", pick(r, "32m", "64m"))
	}
	if r.Intn(2) == 0 {
		f = append(f, "--pids-limit", pick(r, "32", "100"))
	}
	if r.Intn(3) == 0 {
		f = append(f, "--init")
	}
	if r.Intn(4) == 0 {
		f = append(f, "-t")
	}
	if r.Intn(3) == 0 {
		f = append(f, "--name", fmt.Sprintf("soak-%d", i))
	}
	if detached && r.Intn(2) == 0 {
		f = append(f, "--restart", pick(r, "no", "always", "unless-stopped", "on-failure:3"))
	}
	return f
}

// cycleRm: `run --rm` prints what it ran and leaves nothing.
func (s *soak) cycleRm(r *rand.Rand, i int) {
	defer s.rmDone.Add(1)
	args := append([]string{"run", "--rm"}, s.flags(r, i, false)...)
	args = append(args, "busybox", "sh", "-c", "echo soak-ok; ls / >/dev/null")
	out, errs, code := s.jinn(args...)
	if code == 0 && !strings.Contains(out, "soak-ok") {
		// Even under a fault, success must be true: exit 0 without the
		// output (a killed monitor took it) would hide the loss.
		s.mu.Lock()
		s.errs = append(s.errs, fmt.Sprintf("%v: exit 0 without its output, stderr %q", args, errs))
		s.mu.Unlock()
	} else if code != 0 {
		s.fail("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
	}
}

// cycleDetached: `run -d`, `exec`, then `stop` and `rm -f`, or `rm -f`
// of the running container. A quarter exit by themselves (restarted by
// their policy, or not).
func (s *soak) cycleDetached(r *rand.Rand, i int) {
	defer s.dDone.Add(1)
	flags := s.flags(r, i, true)
	cmd := []string{"sleep", "600"}
	exits := r.Intn(4) == 0
	if exits {
		cmd = []string{"sh", "-c", "sleep 0.2; exit 3"}
	}
	args := append(append(append([]string{"run", "-d"}, flags...), "busybox"), cmd...)
	out, errs, code := s.jinn(args...)
	id := strings.TrimSpace(out)
	s.w.saw(id)
	if code != 0 || len(id) != 64 {
		s.fail("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		if len(id) != 64 {
			return
		}
	}
	if !exits {
		if out, errs, code := s.jinn("exec", id, "sh", "-c", "echo exec-ok"); code != 0 || !strings.Contains(out, "exec-ok") {
			s.fail("exec in %v: exit %d, %q %q", args, code, out, errs)
		}
		if pub := slicesIndex(flags, "-p"); pub >= 0 {
			if out, errs, code := s.jinn("port", id); code != 0 || !strings.Contains(out, "->") {
				s.fail("port of %v: exit %d, %q %q", args, code, out, errs)
			}
		}
	} else {
		time.Sleep(time.Duration(r.Intn(400)) * time.Millisecond)
	}
	if r.Intn(2) == 0 {
		if _, errs, code := s.jinn("stop", "-t", "1", id); code != 0 {
			s.fail("stop %v: exit %d %q", args, code, errs)
		}
	}
	if _, errs, code := s.jinn("rm", "-f", "-v", id); code != 0 {
		s.fail("rm -f %v: exit %d %q", args, code, errs)
	}
}

func slicesIndex(a []string, s string) int {
	for i, v := range a {
		if v == s {
			return i
		}
	}
	return -1
}

// report fails the test with the first errors of the cycles.
func (s *soak) report() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.faultErrs {
		if i == 8 {
			s.t.Logf("... and %d more", len(s.faultErrs)-8)
			break
		}
		s.t.Logf("under the fault: %s", e)
	}
	for i, e := range s.errs {
		if i == 20 {
			s.t.Errorf("... and %d more failed commands", len(s.errs)-20)
			break
		}
		s.t.Error(e)
	}
}

// finish removes what the test made on purpose (network, named volume)
// and the default bridge (it stays until pruned, as docker's), so that
// what remains is only what leaked.
func (s *soak) finish() {
	j := s.j
	if out := strings.TrimSpace(j.ok("ps", "-a", "--format", "{{.ID}} {{.Names}} {{.Status}}")); out != "" && !s.faulty {
		s.t.Errorf("containers left after the cycles:\n%s", out)
	}
	if _, errs, code := j.run("network", "rm", s.net); code != 0 && !strings.Contains(errs, "not found") {
		s.t.Errorf("network rm %s: exit %d %s", s.net, code, errs) // system prune removes it too
	}
	j.ok("network", "prune", "-f")
	if _, errs, code := j.run("volume", "rm", s.vol); code != 0 {
		s.t.Errorf("volume rm %s: exit %d %s", s.vol, code, errs)
	}
}
