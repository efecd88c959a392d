package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLIUpdate: update and container update change memory, CPU, pids
// and the restart policy of a running container (through each runtime's
// update), keep them across the monitor's restarts and in the config, and
// refuse bad input without changing anything.
func TestCLIUpdate(t *testing.T) {
	needCgroupV1(t, "memory", "pids", "cpu")
	for _, rt := range engineRuntimes() {
		if rt == "crun" {
			continue // crun refuses this hybrid host outside its namespace
		}
		t.Run(rt, func(t *testing.T) { testUpdate(t, rt) })
	}
}

func testUpdate(t *testing.T, rt string) {
	j := newJinn(t, rt)
	j.ok(j.runArgs([]string{"-d", "--name", "up", "-m", "100m"}, "sleep", "100")...)
	limits := func(c string) string {
		return strings.TrimSpace(j.ok("exec", c, "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares"))
	}
	if out := j.ok("update", "-m", "200m", "--memory-swap", "400m", "--pids-limit", "50", "--cpus", "0.5", "--cpu-shares", "512", "up"); out != "up\n" {
		t.Errorf("update printed %q", out)
	}
	if got := limits("up"); got != "209715200\n50\n50000\n512" {
		t.Errorf("after update: %q", got)
	}
	if got := j.inspect("up", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}}"); got != "209715200 419430400 50 500000000 512" {
		t.Errorf("inspect after update: %q", got)
	}
	j.ok("container", "update", "--pids-limit", "-1", "up")
	if got := limits("up"); !strings.Contains(got, "\nmax\n") {
		t.Errorf("pids limit not lifted: %q", got)
	}
	j.ok("update", "--cpu-period", "60000", "--cpu-quota", "30000", "--cpuset-mems", "0", "up")
	if got := j.ok("exec", "up", "cat", "/sys/fs/cgroup/cpu/cpu.cfs_period_us", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"); got != "60000\n30000\n" {
		t.Errorf("update --cpu-period/--cpu-quota: %q", got)
	}
	if got := j.inspect("up", "{{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpusetMems}}"); got != "60000 30000 0 0" {
		t.Errorf("inspect after update --cpu-period: %q", got)
	}

	// Bad input: one line, 125 (or 1 for a missing container), nothing changed.
	for _, bad := range [][]string{{"up"}, {"-m", "1k", "up"}, {"--restart", "bogus", "up"}, {"--cpus", "x", "up"}, {"--blkio-weight", "5", "up"}} {
		if _, errs, code := j.run(append([]string{"update"}, bad...)...); code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("update %v: exit %d, %q", bad, code, errs)
		}
	}
	if _, _, code := j.run("update", "-m", "300m", "nosuch"); code != 1 {
		t.Errorf("update of a missing container: exit %d", code)
	}
	if got := j.inspect("up", "{{.HostConfig.Memory}}"); got != "209715200" {
		t.Errorf("a refused update changed the config: %s", got)
	}
	// A kernel without I/O weights refuses blkio weight; the rest stays.
	_, bfqErr := os.Stat(cgroupPath("blkio", "blkio.bfq.weight"))
	_, cfqErr := os.Stat(cgroupPath("blkio", "blkio.weight"))
	if _, errs, code := j.run("update", "--blkio-weight", "300", "-m", "150m", "up"); bfqErr != nil && cfqErr != nil {
		if code != 1 || !strings.Contains(errs, "weight") {
			t.Errorf("blkio weight without bfq: exit %d %s", code, errs)
		}
		if got := j.inspect("up", "{{.HostConfig.Memory}} {{.HostConfig.BlkioWeight}}"); got != "209715200 0" {
			t.Errorf("a failed update changed the config: %s", got)
		}
	} else if code != 0 || j.inspect("up", "{{.HostConfig.BlkioWeight}}") != "300" {
		t.Errorf("blkio weight: exit %d %s", code, errs)
	}

	// A stopped container: the config changes, and its next start has it.
	j.ok("stop", "-t", "0", "up")
	j.ok("update", "-m", "64m", "up")
	j.ok("start", "up")
	if got := limits("up"); !strings.HasPrefix(got, "67108864\n") {
		t.Errorf("start after update of a stopped container: %q", got)
	}

	// The restart policy, live: the monitor restarts with the new policy,
	// and every run has the updated limits.
	j.ok(j.runArgs([]string{"-d", "--name", "flaky", "-m", "100m"}, "sh", "-c", "sleep 1; exit 3")...)
	j.ok("update", "--restart", "on-failure:2", "-m", "80m", "flaky")
	waitFor(t, 20*time.Second, "two restarts", func() bool {
		return j.inspect("flaky", "{{.RestartCount}} {{.State.Status}}") == "2 exited"
	})
	if got := j.inspect("flaky", "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.State.ExitCode}}"); got != "on-failure:2 3" {
		t.Errorf("restart policy: %q", got)
	}
	j.ok("update", "--restart", "no", "flaky")
	out, _, _ := j.run("start", "flaky")
	_ = out
	waitFor(t, 10*time.Second, "flaky to run", func() bool { return j.inspect("flaky", "{{.State.Status}}") == "running" })
	if got := strings.TrimSpace(j.ok("exec", "flaky", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")); got != "83886080" {
		t.Errorf("limit after restarts: %s", got)
	}
	j.ok(j.runArgs([]string{"-d", "--rm", "--name", "gone"}, "sleep", "100")...)
	if _, errs, code := j.run("update", "--restart", "always", "gone"); code != 1 || !strings.Contains(errs, "AutoRemove") {
		t.Errorf("restart policy on --rm: exit %d %s", code, errs)
	}
}

// TestCLIStopSignal: stop and restart take -s/--signal and --timeout
// (docker's long form; -t and the old --time still work).
func TestCLIStopSignal(t *testing.T) {
	j := newJinn(t, "")
	script := "trap 'echo got USR1; exit 7' USR1; echo up; while true; do sleep 0.1; done"
	j.ok(j.runArgs([]string{"-d", "--name", "sig"}, "sh", "-c", script)...)
	waitFor(t, 5*time.Second, "the trap", func() bool { return strings.Contains(j.ok("logs", "sig"), "up") })
	if out := j.ok("stop", "--signal", "USR1", "--timeout", "5", "sig"); out != "sig\n" {
		t.Errorf("stop printed %q", out)
	}
	if got := j.inspect("sig", "{{.State.ExitCode}}"); got != "7" {
		t.Errorf("stop -s USR1: exit code %s, want 7 (the trap's)", got)
	}
	j.ok("start", "sig")
	waitFor(t, 5*time.Second, "the trap again", func() bool { return strings.Count(j.ok("logs", "sig"), "up") == 2 })
	j.ok("restart", "-s", "SIGUSR1", "-t", "5", "sig")
	if got := j.inspect("sig", "{{.State.Status}}"); got != "running" {
		t.Errorf("after restart -s: %s", got)
	}
	// The restarted container's "up" may reach its log a moment after
	// restart returns.
	waitFor(t, 5*time.Second, "restart -s USR1 to reach the trap (its log: up, got USR1, up, got USR1, up)", func() bool {
		return strings.Contains(j.ok("logs", "sig"), "got USR1\nup\ngot USR1\nup")
	})
	// A container that ignores the signal is killed after --timeout.
	start := time.Now()
	j.ok("stop", "--timeout", "1", "-s", "USR2", "sig")
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("stop --timeout 1 took %v", d)
	}
	if got := j.inspect("sig", "{{.State.ExitCode}}"); got != "137" && got != "140" {
		t.Errorf("after the timeout: exit code %s", got)
	}
	if _, errs, code := j.run("stop", "-s", "NOPE", "sig"); code != 1 || !strings.Contains(errs, "Invalid signal: NOPE") {
		t.Errorf("stop -s NOPE: exit %d %s", code, errs)
	}
	if out := j.ok("stop", "--time", "1", "sig"); out != "sig\n" {
		t.Errorf("stop --time: %q", out)
	}
}

// TestCLIExecFlags: exec --env-file and --detach-keys.
func TestCLIExecFlags(t *testing.T) {
	j := newJinn(t, "")
	j.ok(j.runArgs([]string{"-d", "--name", "ex"}, "sleep", "100")...)
	envFile := filepath.Join(t.TempDir(), "env")
	os.WriteFile(envFile, []byte("# comment\nA=one\n\nFROM_HOST\nC=x=y\n"), 0o644)
	c := j.cmd("exec", "--env-file", envFile, "-e", "A=two", "ex", "sh", "-c", `echo "$A $FROM_HOST $C"`)
	c.Env = append(os.Environ(), "FROM_HOST=host")
	out, err := c.Output()
	if err != nil || string(out) != "two host x=y\n" {
		t.Errorf("exec --env-file: %q %v", out, err)
	}
	if _, errs, code := j.run("exec", "--env-file", "/nonexistent/env", "ex", "true"); code != 125 || !strings.Contains(errs, "nonexistent") {
		t.Errorf("missing env file: exit %d %s", code, errs)
	}
	if _, errs, code := j.run("exec", "--detach-keys", "ctrl-", "ex", "true"); code != 125 || !strings.Contains(errs, "invalid detach keys") {
		t.Errorf("bad detach keys: exit %d %s", code, errs)
	}
	// -it in a terminal (script(1) gives one): ctrl-x detaches, and the
	// shell runs on in the container.
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("no script(1) to make a terminal")
	}
	sh := exec.Command("sh", "-c", "(printf 'echo in > /tmp/m\\n'; sleep 1; printf '\\030'; sleep 2) | script -qec \"$0\" /dev/null >/dev/null",
		strings.Join(append(j.cmd().Args, "exec", "-it", "--detach-keys", "ctrl-x", "ex", "sh"), " "))
	// Without the detach the shell would end at the input's end.
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("exec -it: %v %s", err, out)
	}
	if got := j.ok("exec", "ex", "cat", "/tmp/m"); got != "in\n" {
		t.Errorf("input before the keys: %q", got)
	}
	if ps := j.ok("exec", "ex", "ps", "-o", "args"); !strings.Contains(ps, "\nsh\n") {
		t.Errorf("the detached shell is gone:\n%s", ps)
	}
}

// TestCLICp: cp -a keeps owners, without it files belong to the
// destination's root; -L follows a symlink source on either side; -q is
// accepted and nothing is printed without a terminal.
func TestCLICp(t *testing.T) {
	j := newJinn(t, "")
	j.ok(j.runArgs([]string{"-d", "--name", "cp"}, "sh", "-c",
		"mkdir /d && echo hi > /d/f && chown 123:456 /d/f && ln -s /d/f /lnk && ln -s d /dl && touch /ready && sleep 100")...)
	waitFor(t, 5*time.Second, "the files", func() bool { _, _, code := j.run("exec", "cp", "test", "-e", "/ready"); return code == 0 })
	dir := t.TempDir()
	owner := func(p string) string {
		out, _ := exec.Command("stat", "-c", "%u:%g", p).Output()
		return strings.TrimSpace(string(out))
	}
	j.ok("cp", "cp:/d/f", filepath.Join(dir, "plain"))
	if got := owner(filepath.Join(dir, "plain")); got != "0:0" {
		t.Errorf("cp without -a: owner %s", got)
	}
	j.ok("cp", "-a", "cp:/d/f", filepath.Join(dir, "arch"))
	if got := owner(filepath.Join(dir, "arch")); got != "123:456" {
		t.Errorf("cp -a: owner %s", got)
	}
	j.ok("cp", "cp:/lnk", filepath.Join(dir, "link"))
	if fi, err := os.Lstat(filepath.Join(dir, "link")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("cp of a symlink without -L should copy the link: %v %v", fi, err)
	}
	if out, errs, code := j.run("cp", "-L", "-q", "cp:/lnk", filepath.Join(dir, "followed")); code != 0 || out != "" || errs != "" {
		t.Errorf("cp -L -q: exit %d %q %q", code, out, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "followed")); string(b) != "hi\n" {
		t.Errorf("cp -L: %q", b)
	}
	os.Mkdir(filepath.Join(dir, "into"), 0o755)
	j.ok("cp", "-aL", "cp:/dl", filepath.Join(dir, "into"))
	if got := owner(filepath.Join(dir, "into", "dl", "f")); got != "123:456" {
		t.Errorf("cp -aL of a directory link: %s", got)
	}
	host := filepath.Join(dir, "hostf")
	os.WriteFile(host, []byte("x\n"), 0o644)
	os.Chown(host, 7, 8)
	os.Symlink(host, filepath.Join(dir, "hostl"))
	j.ok("cp", host, "cp:/tmp/")
	j.ok("cp", "--archive", host, "cp:/tmp/h2")
	j.ok("cp", "--follow-link", filepath.Join(dir, "hostl"), "cp:/tmp/")
	if got := j.ok("exec", "cp", "sh", "-c", "stat -c '%n %u:%g %F' /tmp/hostf /tmp/h2 /tmp/hostl"); got != "/tmp/hostf 0:0 regular file\n/tmp/h2 7:8 regular file\n/tmp/hostl 0:0 regular file\n" {
		t.Errorf("cp to the container:\n%s", got)
	}
}
