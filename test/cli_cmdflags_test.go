package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCLICommandFlags runs the flags of commands other than run and
// create that no test ran, as a user would, and checks what they do.
func TestCLICommandFlags(t *testing.T) {
	j := netJinn(t)
	j.ok(j.runArgs([]string{"-d", "--name", "a"}, "sh", "-c", "echo one; sleep 1000")...)
	waitFor(t, 5*time.Second, "a's first line", func() bool { return j.ok("logs", "a") == "one\n" })
	mid := time.Now().UTC()
	time.Sleep(1100 * time.Millisecond)
	j.ok("exec", "a", "sh", "-c", "echo two > /proc/1/fd/1")
	j.ok(j.runArgs([]string{"--name", "b"}, "echo", "b")...)

	// ps -n, -l, -s
	if got := j.ok("ps", "-n", "1", "--format", "{{.Names}}"); got != "b\n" {
		t.Errorf("ps -n 1: %q", got)
	}
	if got := j.ok("ps", "-l", "--format", "{{.Names}}"); got != "b\n" {
		t.Errorf("ps -l: %q", got)
	}
	if got := j.ok("ps", "-s", "--format", "{{.Names}} {{.Size}}"); !strings.HasPrefix(got, "a ") || !strings.Contains(got, "(virtual ") {
		t.Errorf("ps -s: %q", got)
	}
	// inspect -s: docker's SizeRw and SizeRootFs
	f := strings.Fields(j.inspect("a", "{{.SizeRw}} {{.SizeRootFs}}"))
	if len(f) != 2 || f[0] != "<nil>" {
		t.Errorf("inspect without -s: %q", f)
	}
	f = strings.Fields(strings.TrimSpace(j.ok("inspect", "-s", "-f", "{{.SizeRw}} {{.SizeRootFs}}", "a")))
	if rw, _ := strconv.Atoi(f[0]); len(f) != 2 || f[1] == "0" || rw < 0 {
		t.Errorf("inspect -s: %q", f)
	}

	// logs -t, --since, --until
	if got := j.ok("logs", "-t", "a"); !strings.HasPrefix(got, mid.Format("2006-01-02T")) || !strings.Contains(got, "Z one\n") {
		t.Errorf("logs -t: %q", got)
	}
	if got := j.ok("logs", "--since", mid.Format(time.RFC3339Nano), "a"); got != "two\n" {
		t.Errorf("logs --since: %q", got)
	}
	if got := j.ok("logs", "--until", mid.Format(time.RFC3339Nano), "a"); got != "one\n" {
		t.Errorf("logs --until: %q", got)
	}

	// commit -a and -p (paused while committing; --pause=false too)
	j.ok("commit", "-a", "Ann <ann@example.com>", "-p", "a", "img:a")
	j.ok("commit", "--pause=false", "a", "img:b")
	if got := strings.TrimSpace(j.ok("image", "inspect", "-f", "{{.Author}}", "img:a")); got != "Ann <ann@example.com>" {
		t.Errorf("commit -a: %q", got)
	}
	if got := j.inspect("a", "{{.State.Status}}"); got != "running" {
		t.Errorf("after commit -p: %q", got)
	}
	// history -H=false (bytes), -q (ids)
	if got := j.ok("history", "-H=false", "--format", "{{.Size}}", "busybox"); strings.ContainsAny(got, "kMGB") {
		t.Errorf("history -H=false: %q", got)
	}
	if got := strings.Fields(j.ok("history", "-q", "img:a")); len(got) != 2 || len(got[0]) != 12 {
		t.Errorf("history -q: %q", got)
	}

	// import -m, --platform; load --platform
	tar := filepath.Join(t.TempDir(), "a.tar")
	j.ok("export", "-o", tar, "a")
	j.ok("import", "-m", "imported here", "--platform", "linux/amd64", tar, "imp:1")
	if got := j.ok("history", "--format", "{{.Comment}}", "imp:1"); got != "imported here\n" {
		t.Errorf("import -m: %q", got)
	}
	if got := strings.TrimSpace(j.ok("image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", "imp:1")); got != "linux/amd64" {
		t.Errorf("import --platform: %q", got)
	}
	if out := j.ok("load", "--platform", "linux/amd64", "-i", filepath.Join(fixturesDir, "images", "busybox.tar")); !strings.Contains(out, "busybox") {
		t.Errorf("load --platform: %q", out)
	}

	// stats -a --no-trunc: stopped containers too, full ids
	if got := j.ok("stats", "-a", "--no-stream", "--no-trunc", "--format", "{{.ID}} {{.Name}}"); strings.Count(got, "\n") != 2 || !strings.Contains(got, " b\n") || len(strings.Fields(got)[0]) != 64 {
		t.Errorf("stats -a --no-trunc:\n%s", got)
	}
	// exec -w
	if got := j.ok("exec", "-w", "/tmp", "a", "pwd"); got != "/tmp\n" {
		t.Errorf("exec -w: %q", got)
	}
	// update --cpuset-cpus, --memory-reservation
	j.ok("update", "--cpuset-cpus", "0", "--memory-reservation", "32m", "a")
	if got := j.inspect("a", "{{.HostConfig.CpusetCpus}} {{.HostConfig.MemoryReservation}}"); got != "0 33554432" {
		t.Errorf("update: %q", got)
	}
	if got := strings.TrimSpace(hostCgroupFile(t, j, "a", "cpuset", "cpuset.cpus")); got != "0" {
		t.Errorf("update --cpuset-cpus 0: cpuset.cpus %q", got)
	}
	// start -a -i: stdin reaches the container
	j.ok(append([]string{"create", "-i", "--name", "ci"}, append(j.image(), "sh", "-c", "read x; echo got $x")...)...)
	if out, _ := j.runStdin("hi\n", "start", "-a", "-i", "ci"); out != "got hi\n" {
		t.Errorf("start -a -i: %q", out)
	}
	// network disconnect -f
	j.ok("network", "create", "--subnet", "10.87.60.0/24", "nd")
	j.ok("network", "connect", "nd", "a")
	j.ok("network", "disconnect", "-f", "nd", "a")
	if got := j.inspect("a", "{{len .NetworkSettings.Networks}}"); got != "1" {
		t.Errorf("after network disconnect -f: %s networks", got)
	}
	// system df -v: docker's sections
	out := j.ok("system", "df", "-v")
	for _, want := range []string{"Images space usage:", "Containers space usage:", "CONTAINER ID   IMAGE", "Local Volumes space usage:", "VOLUME NAME", "Build cache usage: 0B"} {
		if !strings.Contains(out, want) {
			t.Errorf("system df -v lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "Containers      3         1 ") {
		t.Errorf("system df: containers row (3, 1 running):\n%s", out)
	}
	j.ok("rm", "-f", "a", "b", "ci")
}

// TestCLIDetachKeys: run, start and attach take --detach-keys: the keys
// in a terminal detach the client and the container runs on.
func TestCLIDetachKeys(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("no script(1) to make a terminal")
	}
	j := newJinn(t, "")
	j.image()
	inTerminal := func(args ...string) {
		t.Helper()
		sh := exec.Command("sh", "-c", "(sleep 1; printf '\\030'; sleep 2) | script -qec \"$0\" /dev/null >/dev/null",
			strings.Join(append(j.cmd().Args, args...), " "))
		done := make(chan error, 1)
		go func() { done <- sh.Run() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%v: %v", args, err)
			}
		case <-time.After(20 * time.Second):
			sh.Process.Kill()
			t.Errorf("%v did not detach", args)
		}
	}
	inTerminal("run", "-it", "--name", "dk", "--detach-keys", "ctrl-x", "busybox", "sh")
	if got := j.inspect("dk", "{{.State.Running}}"); got != "true" {
		t.Fatalf("after run --detach-keys: running %q", got)
	}
	inTerminal("attach", "--detach-keys", "ctrl-x", "dk")
	if got := j.inspect("dk", "{{.State.Running}}"); got != "true" {
		t.Errorf("after attach --detach-keys: running %q", got)
	}
	j.ok("create", "-it", "--name", "dk2", "busybox", "sh")
	inTerminal("start", "-ai", "--detach-keys", "ctrl-x", "dk2")
	if got := j.inspect("dk2", "{{.State.Running}}"); got != "true" {
		t.Errorf("after start --detach-keys: running %q", got)
	}
	j.ok("rm", "-f", "dk", "dk2")
	os.Remove("typescript")
}
