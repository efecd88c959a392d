package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fmtSscan(s string, v any) (int, error) { return fmt.Sscan(s, v) }

// TestEngineCore runs the everyday commands against each runtime.
func TestEngineCore(t *testing.T) {
	for _, rt := range engineRuntimes() {
		t.Run(rt, func(t *testing.T) {
			t.Run("RunRm", func(t *testing.T) { testRunRm(t, rt) })
			t.Run("Detached", func(t *testing.T) { testDetached(t, rt) })
			t.Run("OOM", func(t *testing.T) { testOOM(t, rt) })
			t.Run("BadInput", func(t *testing.T) { testBadInput(t, rt) })
			t.Run("KillMonitor", func(t *testing.T) { testKillMonitor(t, rt) })
			t.Run("KillCLI", func(t *testing.T) { testKillCLI(t, rt) })
			t.Run("Restart", func(t *testing.T) { testRestart(t, rt) })
		})
	}
}

func testRunRm(t *testing.T, rt string) {
	j := newJinn(t, rt)
	out, errs, code := j.run(j.runArgs([]string{"--rm", "--hostname", "box", "-e", "FOO=bar", "-w", "/tmp"},
		"sh", "-c", "echo out; echo err >&2; hostname; echo $FOO; pwd; echo pid $$; exit 7")...)
	if code != 7 {
		t.Fatalf("exit code %d, want 7 (stderr %s)", code, errs)
	}
	if want := "out\nbox\nbar\n/tmp\npid 1\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if errs != "err\n" {
		t.Errorf("stderr %q", errs)
	}
	if ps := j.ok("ps", "-aq"); ps != "" {
		t.Errorf("--rm left a container: %s", ps)
	}
	// Resource flags reach the cgroup; the network has only lo.
	out = j.ok(j.runArgs([]string{"--rm", "--network", "none", "--memory", "32m", "--pids-limit", "50", "--cpus", "0.5"},
		"sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us; ls /sys/class/net")...)
	if want := "33554432\n50\n50000\nlo\n"; out != want {
		t.Errorf("limits %q, want %q", out, want)
	}
}

func testDetached(t *testing.T, rt string) {
	j := newJinn(t, rt)
	start := time.Now()
	id := strings.TrimSpace(j.ok(j.runArgs([]string{"-d", "--name", "web", "--label", "app=x"},
		"sh", "-c", "trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 0.1; done")...))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q", id)
	}
	t.Logf("run -d took %v", time.Since(start))
	if s := j.inspect("web", "{{.State.Status}} {{.State.Running}} {{.Name}} {{.Config.Labels.app}}"); s != "running true /web x" {
		t.Errorf("inspect: %q", s)
	}
	ps := j.ok("ps")
	if !strings.Contains(ps, "CONTAINER ID") || !strings.Contains(ps, id[:12]) || !strings.Contains(ps, "Up ") || !strings.Contains(ps, "web") {
		t.Errorf("ps:\n%s", ps)
	}
	waitFor(t, 5*time.Second, "log line", func() bool { return strings.Contains(j.ok("logs", "web"), "ready") })
	if out := j.ok("exec", "web", "cat", "/etc/hostname"); out != id[:12]+"\n" {
		t.Errorf("exec hostname %q", out)
	}
	_, _, code := j.run("exec", "web", "sh", "-c", "exit 3")
	if code != 3 {
		t.Errorf("exec exit code %d, want 3", code)
	}
	// cp both ways.
	src := filepath.Join(t.TempDir(), "f.txt")
	os.WriteFile(src, []byte("hello cp\n"), 0o644)
	j.ok("cp", src, "web:/tmp/")
	if out := j.ok("exec", "web", "cat", "/tmp/f.txt"); out != "hello cp\n" {
		t.Errorf("cp in: %q", out)
	}
	dst := filepath.Join(t.TempDir(), "back.txt")
	j.ok("cp", "web:/tmp/f.txt", dst)
	if b, _ := os.ReadFile(dst); string(b) != "hello cp\n" {
		t.Errorf("cp out: %q", b)
	}
	// A symlink pointing out of the container stays inside it.
	j.ok("exec", "web", "ln", "-s", "/../../../../etc", "/tmp/esc")
	j.ok("cp", src, "web:/tmp/esc/")
	if _, err := os.Stat("/etc/f.txt"); err == nil {
		t.Fatalf("cp followed a symlink out of the container")
	}
	j.ok("pause", "web")
	if s := j.inspect("web", "{{.State.Status}}"); s != "paused" {
		t.Errorf("after pause: %s", s)
	}
	j.ok("unpause", "web")
	j.ok("rename", "web", "web2")
	j.ok("stop", "web2")
	if s := j.inspect("web2", "{{.State.Status}} {{.State.ExitCode}}"); s != "exited 0" {
		t.Errorf("after stop: %q", s)
	}
	if out := j.ok("logs", "--tail", "1", "web2"); out != "bye\n" {
		t.Errorf("logs --tail 1: %q", out)
	}
	if !strings.Contains(j.ok("ps", "-a"), "Exited (0)") {
		t.Errorf("ps -a after stop:\n%s", j.ok("ps", "-a"))
	}
	j.ok("start", "web2")
	waitFor(t, 5*time.Second, "restart", func() bool { return j.inspect("web2", "{{.State.Status}}") == "running" })
	j.ok("rm", "-f", "web2")
	if out := j.ok("ps", "-aq"); out != "" {
		t.Errorf("rm -f left %s", out)
	}
}

// testOOM is the seed's story: a hog under --memory 64m is OOM-killed
// alone; its neighbour and jinn live on.
func testOOM(t *testing.T, rt string) {
	j := newJinn(t, rt)
	j.ok(j.runArgs([]string{"-d", "--name", "neighbour"}, "sleep", "1000")...)
	_, _, code := j.run(j.runArgs([]string{"--name", "hog", "--memory", "64m"}, "tail", "/dev/zero")...)
	if code != 137 {
		t.Errorf("hog exit code %d, want 137", code)
	}
	if s := j.inspect("hog", "{{.State.OOMKilled}} {{.State.ExitCode}}"); s != "true 137" {
		t.Errorf("hog OOMKilled/ExitCode: %q", s)
	}
	ps := j.ok("ps", "-a")
	var hogLine string
	for _, l := range strings.Split(ps, "\n") {
		if strings.HasSuffix(strings.TrimSpace(l), "hog") {
			hogLine = l
		}
	}
	if !strings.Contains(hogLine, "Exited (137)") {
		t.Errorf("ps -a hog line %q", hogLine)
	}
	if s := j.inspect("neighbour", "{{.State.Status}} {{.State.OOMKilled}}"); s != "running false" {
		t.Errorf("neighbour: %q", s)
	}
}

func testRestart(t *testing.T, rt string) {
	j := newJinn(t, rt)
	j.ok(j.runArgs([]string{"-d", "--name", "flaky", "--restart", "on-failure:2"}, "sh", "-c", "echo run; exit 1")...)
	waitFor(t, 10*time.Second, "restarts to end", func() bool {
		return j.inspect("flaky", "{{.State.Status}} {{.RestartCount}}") == "exited 2"
	})
	if n := strings.Count(j.ok("logs", "flaky"), "run\n"); n != 3 {
		t.Errorf("ran %d times, want 3", n)
	}
}
