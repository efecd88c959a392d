package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func testBadInput(t *testing.T, rt string) {
	j := newJinn(t, rt)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"run", "--no-such-flag", "busybox"}, 125, "unknown flag: --no-such-flag"},
		{[]string{"run", "--rm", "--pull", "never", "no-such-image-xyz"}, 125, "Unable to find image 'no-such-image-xyz:latest' locally"},
		{j.runArgs([]string{"--memory", "lots"}, "true"), 125, "invalid argument \"lots\" for \"--memory\""},
		{j.runArgs([]string{"--restart", "sometimes"}, "true"), 125, "invalid restart policy"},
		{j.runArgs([]string{"--rm"}, "no-such-command"), 127, "executable file not found"},
		{j.runArgs([]string{"--rm"}, "/etc/passwd"), 126, "permission denied"},
		{[]string{"exec", "nobody-home", "true"}, 1, "No such container: nobody-home"},
		{[]string{"ps", "--bogus"}, 125, "unknown flag: --bogus"},
		{[]string{"logs"}, 125, "requires exactly 1 argument"},
		{[]string{"rm", "nobody-home"}, 1, "No such container"},
	}
	for _, c := range cases {
		_, errs, code := j.run(c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("jinn %s: exit %d %q, want %d with %q", strings.Join(c.args, " "), code, errs, c.code, c.msg)
		}
	}
	if out := j.ok("ps", "-aq"); out != "" {
		t.Errorf("bad input left containers: %s", out)
	}
	j.ok(j.runArgs([]string{"--name", "taken"}, "true")...)
	_, errs, code := j.run(j.runArgs([]string{"--name", "taken"}, "true")...)
	if code != 125 || !strings.Contains(errs, `The container name "/taken" is already in use`) {
		t.Errorf("name in use: exit %d %q", code, errs)
	}
	_, errs, code = j.run("exec", "taken", "true")
	if code != 1 || !strings.Contains(errs, "is not running") {
		t.Errorf("exec into stopped: exit %d %q", code, errs)
	}
	if n := len(strings.Fields(j.ok("ps", "-aq"))); n != 1 {
		t.Errorf("%d containers, want 1", n)
	}
}

// testKillMonitor: a monitor killed with -9 leaves a container that ps
// reports truthfully and rm -f removes.
func testKillMonitor(t *testing.T, rt string) {
	j := newJinn(t, rt)
	id := strings.TrimSpace(j.ok(j.runArgs([]string{"-d"}, "sleep", "1000")...))
	pid := monitorPid(t, id)
	if pid == 0 {
		t.Fatal("no monitor found")
	}
	// The monitor protects itself from the OOM killer where it may.
	syscall.Kill(pid, syscall.SIGKILL)
	waitFor(t, 5*time.Second, "monitor gone", func() bool {
		_, err := os.Stat(fmt.Sprintf("/proc/%d/cmdline", pid))
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err != nil || strings.Contains(string(b), ") Z ")
	})
	if s := j.inspect(id, "{{.State.Status}}"); s != "running" {
		t.Errorf("container without monitor: %s, want running (it still runs)", s)
	}
	j.ok("rm", "-f", id)
	if out := j.ok("ps", "-aq"); out != "" {
		t.Errorf("rm -f left %s", out)
	}
}

// testKillCLI: the CLI killed at any point leaves nothing that rm -f and
// system prune cannot clean; a container whose CLI died keeps running.
func testKillCLI(t *testing.T, rt string) {
	j := newJinn(t, rt)
	c := j.cmd(j.runArgs([]string{"--name", "fg"}, "sleep", "1000")...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "fg running", func() bool {
		out, _, _ := j.run("inspect", "-f", "{{.State.Status}}", "fg")
		return strings.TrimSpace(out) == "running"
	})
	c.Process.Kill()
	c.Wait()
	time.Sleep(100 * time.Millisecond)
	if s := j.inspect("fg", "{{.State.Status}}"); s != "running" {
		t.Errorf("after the CLI died: %s, want running", s)
	}
	for i, delay := range []time.Duration{2, 10, 25, 50, 80} {
		c := j.cmd(j.runArgs([]string{"-d", "--name", fmt.Sprintf("k%d", i)}, "sleep", "1000")...)
		c.Start()
		time.Sleep(delay * time.Millisecond)
		c.Process.Kill()
		c.Wait()
	}
	out := j.ok("ps", "-aq", "--no-trunc")
	if ids := strings.Fields(out); len(ids) > 0 {
		j.ok(append([]string{"rm", "-f"}, ids...)...)
	}
	j.ok("system", "prune", "-f")
	if out := j.ok("ps", "-aq"); out != "" {
		t.Errorf("left after rm -f and prune: %s", out)
	}
}

// TestEngineConcurrentRun: 50 `run --rm` at once, with jinn-runtime and
// with runc, all succeed, each with its own id and name, and leave
// nothing: containers, runtime state, mounts, cgroups, veths.
func TestEngineConcurrentRun(t *testing.T) {
	for _, rt := range engineRuntimes() {
		t.Run(rt, func(t *testing.T) { testConcurrentRun(t, rt) })
	}
}

func testConcurrentRun(t *testing.T, rt string) {
	j := newJinn(t, rt)
	var wg sync.WaitGroup
	errs := make(chan string, 50)
	hosts := make(chan string, 50)
	since := time.Now().Add(-time.Second).Unix()
	start := time.Now()
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out, stderr, code := j.run(j.runArgs([]string{"--rm"}, "sh", "-c", fmt.Sprintf("echo n%d; hostname", i))...)
			f := strings.Fields(out)
			if code != 0 || len(f) != 2 || f[0] != fmt.Sprintf("n%d", i) {
				errs <- fmt.Sprintf("run %d: exit %d out %q err %q", i, code, out, stderr)
				return
			}
			hosts <- f[1]
		}(i)
	}
	wg.Wait()
	close(errs)
	close(hosts)
	for e := range errs {
		t.Error(e)
	}
	t.Logf("50 concurrent run --rm: %v", time.Since(start))
	seen := map[string]bool{}
	for h := range hosts {
		if seen[h] {
			t.Errorf("two containers with id %s", h)
		}
		seen[h] = true
		// The hostname is the id's first 12 characters.
		for _, m := range []string{"memory", "pids", "unified"} {
			if ms, _ := filepath.Glob(cgroupPath(m, h+"*")); len(ms) > 0 {
				t.Errorf("cgroup left behind: %v", ms)
			}
		}
	}
	// A generated name is never held by two containers at once; once its
	// container is destroyed (--rm) it is free again, as in docker.
	live, creates := map[string]bool{}, 0
	evs := j.ok("events", "--since", fmt.Sprint(since), "--until", fmt.Sprint(time.Now().Unix()+1),
		"--format", "{{.Action}} {{.Actor.Attributes.name}}")
	for _, l := range strings.Split(evs, "\n") {
		if n, ok := strings.CutPrefix(l, "destroy "); ok {
			delete(live, n)
			continue
		}
		n, ok := strings.CutPrefix(l, "create ")
		if !ok || n == "" {
			continue
		}
		if live[n] {
			t.Errorf("name %s given to two live containers", n)
		}
		live[n] = true
		creates++
	}
	if creates != 50 {
		t.Errorf("%d create events with names, want 50:\n%s", creates, evs)
	}
	if out := j.ok("ps", "-aq"); out != "" {
		t.Errorf("left containers: %s", out)
	}
	if ents, _ := os.ReadDir(filepath.Join(j.runroot, "runtime", rt)); len(ents) > 0 {
		t.Errorf("runtime state left: %v", ents)
	}
	j.assertClean(nil)
	// The default bridge and its rules stay up until pruned; veths,
	// addresses and namespaces must be gone already.
	j.ok("network", "prune", "-f")
	j.assertNetClean()
}
