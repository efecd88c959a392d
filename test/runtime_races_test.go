package test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// procComm is a process's name, "" once it is gone.
func procComm(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}

// kill right after start must reach the user program: start (and run -d)
// return only once the init has execed it. A startContainer hook widens the
// window between the init's release and its execve.
func TestRuntimeKillRightAfterStart(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "100"}
		s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/sleep", Args: []string{"sleep", "0.05"}}}}
	})
	for i := 0; i < 50; i++ {
		id := newID("killstart")
		e.must("create", id)
		e.must("start", id)
		pid := e.state(id).Pid
		if c := procComm(pid); c != "sleep" {
			t.Fatalf("iteration %d: after start the init is %q, not the user program", i, c)
		}
		e.must("kill", id, "KILL")
		waitStatus(t, e, id, specs.StateStopped)
		e.must("delete", id)
	}
	id := newID("killrund")
	e.must("run", "-d", id)
	if c := procComm(e.state(id).Pid); c != "sleep" {
		t.Fatalf("after run -d the init is %q, not the user program", c)
	}
	e.must("kill", id, "KILL")
	waitStatus(t, e, id, specs.StateStopped)
	e.must("delete", id)
}

// A failure between start's release and execve is start's error.
func TestRuntimeStartReportsLateFailure(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "100"}
		s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/false"}}}
	})
	id := newID("latefail")
	e.must("create", id)
	e.fails("startContainer hook", "start", id)
	waitStatus(t, e, id, specs.StateStopped)
	e.must("delete", id)
}

// No command hangs after a kill -9 of another at any point, nor on a
// container whose init cannot move (paused).
func TestRuntimeStartNeverHangs(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "100"}
		s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/sleep", Args: []string{"sleep", "0.3"}}}}
	})
	timed := func(args ...string) (string, int) {
		t.Helper()
		c := e.cmd(args...)
		done := make(chan struct{})
		var out []byte
		go func() { out, _ = c.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			c.Process.Kill()
			<-done
			t.Fatalf("jinn-runtime %v hangs", args)
		}
		return string(out), c.ProcessState.ExitCode()
	}
	if _, err := os.Stat("/sys/fs/cgroup/freezer"); err == nil {
		id := newID("pausedstart")
		e.must("create", id)
		e.must("pause", id)
		if out, code := timed("start", id); code == 0 || !strings.Contains(out, "paused") {
			t.Errorf("start of a paused container: exit %d %q", code, out)
		}
		timed("delete", "--force", id)
	}
	// start killed at several points of its wait: the container ends up
	// running or stopped, and every later command answers.
	for _, d := range []time.Duration{0, 5, 20, 100, 400} {
		id := newID("startkilled")
		e.must("create", id)
		c := e.cmd("start", id)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(d * time.Millisecond)
		c.Process.Kill()
		c.Wait()
		timed("state", id)
		timed("start", id)
		timed("kill", id, "KILL")
		if out, code := timed("delete", "--force", id); code != 0 {
			t.Errorf("delete --force after start killed at %v: %s", d, out)
		}
	}
}

// A short-lived container that exits by itself is never an error: the
// teardown (the monitor's delete, the CLI's remove) may race its exit.
func TestRuntimeEngineRunRmLoop(t *testing.T) {
	for _, rt := range engineRuntimes() {
		t.Run(rt, func(t *testing.T) {
			j := newJinn(t, rt)
			args := j.runArgs([]string{"--rm"}, "true")
			for i := 0; i < 30; i++ {
				if out, stderr, code := j.run(args...); code != 0 || out != "" || stderr != "" {
					t.Errorf("run %d: exit %d: %q %q", i, code, out, stderr)
				}
			}
			if out := j.ok("ps", "-aq"); out != "" {
				t.Errorf("left containers: %s", out)
			}
		})
	}
}

// rm -f after the CLI was killed at any point of run is quick: nothing
// waits on a lock or a fifo that nobody will release.
func TestRuntimeEngineRmAfterKilledCLI(t *testing.T) {
	j := newJinn(t, "")
	args := j.runArgs(nil, "sleep", "1000")
	for i, d := range []time.Duration{1, 5, 15, 30, 40, 50, 60, 70, 80, 100, 120, 150} {
		name := "rtfix-killed-" + strconv.Itoa(i)
		c := j.cmd(append([]string{"run", "--name", name}, args[1:]...)...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(d * time.Millisecond)
		c.Process.Kill()
		c.Wait()
		start := time.Now()
		j.run("rm", "-f", name)
		el := time.Since(start)
		t.Logf("killed at %v: rm -f took %v", d*time.Millisecond, el)
		if el > time.Second {
			t.Errorf("rm -f after the CLI was killed at %v took %v", d*time.Millisecond, el)
		}
	}
	j.ok("system", "prune", "-f")
	if out := j.ok("ps", "-aq"); out != "" {
		t.Errorf("left: %s", out)
	}
}

// kill -9 of create or delete at any point leaves nothing that a
// delete --force cannot clean: no state, cgroup or process.
func TestRuntimeKilledCommandsLeaveNothing(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	before := countInits(t, e.root)
	for _, d := range []time.Duration{0, 1, 2, 3, 5, 8, 12, 20, 40} {
		for _, cmd := range []string{"create", "delete"} {
			id := newID("killed" + cmd)
			if cmd == "delete" {
				e.must("create", id)
			}
			c := e.cmd(cmd, "--force", id)
			if cmd == "create" {
				c = e.cmd("create", id)
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(d * time.Millisecond)
			c.Process.Kill()
			c.Wait()
			done := make(chan struct{})
			go func() { e.run("delete", "--force", id); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				t.Fatalf("delete --force after %s killed at %v hangs", cmd, d)
			}
			if _, err := os.Stat(e.root + "/" + id); err == nil {
				t.Errorf("%s killed at %v: state left", cmd, d)
			}
			noCgroup(t, id)
		}
	}
	for i := 0; countInits(t, e.root) != before; i++ {
		if i > 100 {
			t.Fatalf("%d container inits left running", countInits(t, e.root)-before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
