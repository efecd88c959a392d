package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The engine's containers through the runtime's C run (run.c): its
// monitors run `jinn-runtime run --detach --pid-file P --bundle B ID`,
// and two containers of one command differ only by their id, so from the
// second on the runtime serves them in C from the first's plan. Each
// story is told twice per monitor, with plans off (Go) and on (C for
// every second container of a kind, the trace file proves which), and
// must come out the same.
func TestEngineCRun(t *testing.T) {
	if _, err := os.Stat("/sys/fs/cgroup/memory/tasks"); err != nil {
		t.Skipf("the C run needs v1 cgroup hierarchies (pure cgroup2 host): %v", err)
	}
	for _, mon := range []string{"go", "c"} {
		t.Run(mon, func(t *testing.T) {
			var got [2][]string
			for k, plans := range []bool{false, true} {
				j := newJinn(t, "jinn-runtime")
				dir := t.TempDir()
				trace := filepath.Join(dir, "trace")
				planDir := filepath.Join(dir, "plans")
				if !plans {
					planDir = "off"
				}
				env := []string{"JINN_MONITOR=" + mon, "JINN_RUN_TRACE=" + trace, "JINN_RUNTIME_PLAN_DIR=" + planDir}
				got[k] = engineCRunStory(t, j, env)
				b, _ := os.ReadFile(trace)
				served := strings.Fields(string(b))
				want := 0
				if plans {
					want = 4 // the second of each of the 4 kinds
				}
				if len(served) != want {
					t.Errorf("plans %v: the C run served %d containers %v, want %d", plans, len(served), served, want)
				}
			}
			t.Logf("the story:\n%s", strings.Join(got[1], "\n"))
			if strings.Join(got[0], "\n") != strings.Join(got[1], "\n") {
				t.Errorf("Go runs:\n%s\nC runs:\n%s", strings.Join(got[0], "\n"), strings.Join(got[1], "\n"))
			}
		})
	}
}

// engineCRunStory runs two containers of each kind and says what it saw,
// ids written as ID.
func engineCRunStory(t *testing.T, j *jinnEnv, env []string) []string {
	var seen []string
	run := func(args ...string) (string, string, int) {
		t.Helper()
		c := j.cmd(args...)
		c.Env = append(os.Environ(), env...)
		var out, errb strings.Builder
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		if err != nil && c.ProcessState == nil {
			t.Fatalf("jinn %v: %v", args, err)
		}
		return out.String(), errb.String(), c.ProcessState.ExitCode()
	}
	say := func(f string, a ...any) { seen = append(seen, fmt.Sprintf(f, a...)) }
	none := []string{"--network", "none"}
	img := j.image()
	for i := 0; i < 2; i++ {
		o, e, c := run(append(append([]string{"run", "--rm"}, none...), append(img, "true")...)...)
		say("true: %d %q %q", c, o, e)
	}
	for i := 0; i < 2; i++ {
		o, e, c := run(append(append([]string{"run", "--rm"}, none...), append(img, "sh", "-c", "echo out; echo err >&2; exit 3")...)...)
		say("exit 3: %d %q %q", c, o, e)
	}
	// A sleeping detached container: its pid, exec, logs, then kill or
	// stop; 137 either way.
	for i := 0; i < 2; i++ {
		o, e, c := run(append(append([]string{"run", "-d"}, none...), append(img, "sh", "-c", "echo hi; hostname; exec sleep 30")...)...)
		id := strings.TrimSpace(o)
		if c != 0 || len(id) != 64 {
			t.Fatalf("run -d: %d %q %q", c, o, e)
		}
		norm := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, id, "ID"), id[:12], "ID12") }
		say("run -d: %d %q", c, e)
		// The init's pid: sh until it execs sleep.
		pid, _ := strconv.Atoi(j.inspect(id, "{{.State.Pid}}"))
		var cmdline []byte
		waitFor(t, 5*time.Second, "sleep", func() bool {
			cmdline, _ = os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			return strings.HasPrefix(string(cmdline), "sleep\x00")
		})
		say("pid: %v %q", pid > 0, strings.ReplaceAll(string(cmdline), "\x00", " "))
		o, e, c = run("exec", id, "sh", "-c", "echo in $(hostname); exit 5")
		say("exec: %d %q %q", c, norm(o), e)
		var logs string
		waitFor(t, 5*time.Second, "logs", func() bool {
			logs, _, _ = run("logs", id)
			return strings.Count(logs, "\n") == 2
		})
		say("logs: %q", norm(logs))
		if i == 0 {
			o, e, c = run("kill", id)
		} else {
			o, e, c = run("stop", "-t", "1", id)
		}
		say("kill/stop: %d %q %q", c, norm(o), e)
		waitFor(t, 10*time.Second, "exited", func() bool { return j.inspect(id, "{{.State.Status}}") == "exited" })
		say("exited: %s", j.inspect(id, "{{.State.ExitCode}} {{.State.OOMKilled}}"))
		run("rm", id)
	}
	// A memory hog: OOM-killed, 137.
	for i := 0; i < 2; i++ {
		name := fmt.Sprintf("hog%d", i)
		o, e, c := run(append(append([]string{"run", "--name", name, "--memory", "16m"}, none...), append(img, "tail", "/dev/zero")...)...)
		say("hog: %d %q %q %s", c, o, e, j.inspect(name, "{{.State.ExitCode}} {{.State.OOMKilled}}"))
		run("rm", name)
	}
	return seen
}
