package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// containerd and Docker drive runc through containerd's runc shim, which
// reads create's output to EOF and talks to the runtime by runc's command
// line only. These tests run both from Debian with jinn-runtime in runc's
// place, each daemon on sockets and directories of the test's own.

// daemon starts a long-running program, waits until ready says it
// serves, and stops it (TERM, then KILL) when the test ends.
func daemon(t *testing.T, logPath string, ready func() bool, name string, args ...string) {
	t.Helper()
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command(name, args...)
	c.Stdout, c.Stderr = log, log
	if err := c.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { c.Wait(); log.Close(); close(done) }()
	t.Cleanup(func() {
		c.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			c.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for !ready() {
		select {
		case <-done:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited: %s", name, lastLines(string(b), 10))
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("%s not ready in 30s: %s", name, lastLines(string(b), 10))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// inTerminal runs a command line under script(1), which gives it a pty.
func inTerminal(args ...string) (string, int) {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	c := exec.Command("timeout", "30", "script", "-qec", strings.Join(q, " "), "/dev/null")
	out, _ := c.CombinedOutput()
	return strings.ReplaceAll(string(out), "\r", ""), c.ProcessState.ExitCode()
}

// assertNoMounts fails if anything is still mounted below dir.
func assertNoMounts(t *testing.T, dir string) {
	t.Helper()
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, dir) {
			t.Errorf("mount left behind: %s", l)
		}
	}
}

func TestRuntimeContainerd(t *testing.T) {
	for _, p := range []string{"containerd", "ctr", "containerd-shim-runc-v2", "script"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed", p)
		}
	}
	// containerd's shims put their sockets in /run/containerd/s, and ctr
	// its fifos in /run/containerd/fifo, whatever they are told.
	tidyRun(t, "/run/containerd", "/run/containerd/s", "/run/containerd/fifo")
	dir := t.TempDir()
	t.Cleanup(func() { assertNoMounts(t, dir) })
	sock := filepath.Join(dir, "containerd.sock")
	conf := filepath.Join(dir, "config.toml")
	os.WriteFile(conf, []byte(fmt.Sprintf("version = 2\nroot = %q\nstate = %q\n[grpc]\n  address = %q\n",
		filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock)), 0o644)
	// containerd's cgroupsPath is /<namespace>/<id>: absolute, so the
	// runtime takes it from each hierarchy's mount point (runtime-spec);
	// the namespace is the test's own name.
	ns := newID("ctrtest")
	t.Cleanup(func() { removeCgroups("/" + ns) })
	ctr := func(args ...string) (string, error) {
		out, err := exec.Command("ctr", append([]string{"--address", sock, "-n", ns}, args...)...).CombinedOutput()
		return string(out), err
	}
	daemon(t, filepath.Join(dir, "containerd.log"), func() bool { _, err := ctr("version"); return err == nil },
		"containerd", "--config", conf)
	if out, err := ctr("image", "import", imageFixture(t, "busybox")); err != nil {
		t.Fatalf("ctr image import: %v: %s", err, out)
	}
	img := "docker.io/library/busybox:latest"
	// The fifos and the runtime's state in the test's directory, not
	// /run/containerd's.
	rt := []string{"--runc-binary", bin("jinn-runtime"), "--fifo-dir", filepath.Join(dir, "fifo"),
		"--runc-root", filepath.Join(dir, "runc-root")}
	run := func(args ...string) []string { return append(append([]string{"run"}, rt...), args...) }

	out, err := ctr(run("--rm", img, "c1", "sh", "-c", "echo ok; cat /proc/self/cgroup")...)
	if err != nil || !strings.HasPrefix(out, "ok\n") || !strings.Contains(out, ":/"+ns+"/c1\n") {
		t.Fatalf("ctr run: %v: %s", err, out)
	}
	// With a terminal the shim gets the pty master over the console socket
	// and waits for create's output to end before it starts the task.
	tty, code := inTerminal(append([]string{"ctr", "--address", sock, "-n", ns}, run("--rm", "-t", img, "c2", "sh", "-c", "tty; exit 3")...)...)
	if code != 3 || !strings.Contains(tty, "/dev/pts/0") {
		t.Fatalf("ctr run -t: exit %d: %q", code, tty)
	}
	if out, err := ctr(run("-d", img, "c3", "sleep", "100")...); err != nil {
		t.Fatalf("ctr run -d: %v: %s", err, out)
	}
	if out, err := ctr("task", "exec", "--exec-id", "e1", "c3", "sh", "-c", "echo exec-ok"); err != nil || strings.TrimSpace(out) != "exec-ok" {
		t.Fatalf("ctr task exec: %v: %s", err, out)
	}
	for _, step := range [][]string{{"task", "pause", "c3"}, {"task", "resume", "c3"}, {"task", "ps", "c3"}, {"task", "metrics", "c3"}} {
		if out, err := ctr(step...); err != nil {
			t.Fatalf("ctr %v: %v: %s", step, err, out)
		}
	}
	if out, err := ctr("task", "kill", "-s", "KILL", "c3"); err != nil {
		t.Fatalf("ctr task kill: %v: %s", err, out)
	}
	waitFor(t, 10*time.Second, "c3 to stop", func() bool {
		out, _ := ctr("task", "ls")
		return strings.Contains(out, "STOPPED")
	})
	for _, step := range [][]string{{"task", "rm", "c3"}, {"container", "rm", "c3"}} {
		if out, err := ctr(step...); err != nil {
			t.Fatalf("ctr %v: %v: %s", step, err, out)
		}
	}
	if out, _ := ctr("container", "ls", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("containers left: %s", out)
	}
}

func TestRuntimeDocker(t *testing.T) {
	for _, p := range []string{"dockerd", "docker", "containerd", "script"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed", p)
		}
	}
	// dockerd makes /run/docker/plugins, and its containerd's shims
	// /run/containerd/s, whatever they are told.
	tidyRun(t, "/run/docker", "/run/docker/plugins", "/run/containerd", "/run/containerd/s", "/run/containerd/fifo")
	dir := t.TempDir()
	t.Cleanup(func() { assertNoMounts(t, dir) })
	sock := filepath.Join(dir, "docker.sock")
	parent := "/" + suite.cgroupParent + "/" + newID("dockertest")
	t.Cleanup(func() { removeCgroups(parent) })
	// No bridge and no iptables: dockerd touches no firewall or network
	// device of the host; containers run with --network none.
	conf := filepath.Join(dir, "daemon.json")
	os.WriteFile(conf, []byte(fmt.Sprintf(`{"iptables": false, "ip6tables": false, "bridge": "none",
 "ip-forward": false, "ip-masq": false, "data-root": %q, "exec-root": %q, "pidfile": %q,
 "hosts": ["unix://%s"], "storage-driver": "overlay2", "cgroup-parent": %q,
 "runtimes": {"jinn": {"path": %q}}}`, filepath.Join(dir, "root"), filepath.Join(dir, "exec"),
		filepath.Join(dir, "docker.pid"), sock, parent, bin("jinn-runtime"))), 0o644)
	dockerArgs := []string{"docker", "-H", "unix://" + sock}
	docker := func(args ...string) (string, error) {
		out, err := exec.Command(dockerArgs[0], append(dockerArgs[1:], args...)...).CombinedOutput()
		return string(out), err
	}
	daemon(t, filepath.Join(dir, "dockerd.log"), func() bool { _, err := docker("version"); return err == nil },
		"dockerd", "--config-file", conf)
	if out, err := docker("load", "-i", imageFixture(t, "busybox")); err != nil {
		t.Fatalf("docker load: %v: %s", err, out)
	}
	run := []string{"run", "--runtime", "jinn", "--network", "none"}
	out, err := docker(append(run, "--rm", "--memory", "64m", "busybox", "sh", "-c",
		"echo ok; cat /sys/fs/cgroup/memory/memory.limit_in_bytes")...)
	if err != nil || out != "ok\n67108864\n" {
		t.Fatalf("docker run: %v: %q", err, out)
	}
	tty, code := inTerminal(append(dockerArgs, append(run, "--rm", "-it", "busybox", "sh", "-c", "tty; exit 3")...)...)
	if code != 3 || !strings.Contains(tty, "/dev/pts/0") {
		t.Fatalf("docker run -it: exit %d: %q", code, tty)
	}
	// The seed's story under Docker: the memory hog is OOM-killed alone.
	out, err = docker(append(run, "--name", "hog", "--memory", "32m", "busybox", "sh", "-c", "x=a; while true; do x=$x$x; done")...)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 137 {
		t.Fatalf("memory hog: %v: %s", err, out)
	}
	if out, _ := docker("inspect", "-f", "{{.State.OOMKilled}}", "hog"); strings.TrimSpace(out) != "true" {
		t.Errorf("hog OOMKilled = %q", out)
	}
	if out, err := docker(append(run, "-d", "--name", "sleeper", "busybox", "sh", "-c",
		"trap 'exit 0' TERM; while true; do sleep 0.1; done")...); err != nil {
		t.Fatalf("docker run -d: %v: %s", err, out)
	}
	if out, err := docker("exec", "sleeper", "echo", "exec-ok"); err != nil || out != "exec-ok\n" {
		t.Fatalf("docker exec: %v: %q", err, out)
	}
	if tty, code := inTerminal(append(dockerArgs, "exec", "-it", "sleeper", "sh", "-c", "tty; exit 4")...); code != 4 || !strings.Contains(tty, "/dev/pts/") {
		t.Fatalf("docker exec -it: exit %d: %q", code, tty)
	}
	for _, step := range [][]string{{"pause", "sleeper"}, {"unpause", "sleeper"}, {"top", "sleeper"},
		{"update", "--memory", "128m", "--memory-swap", "256m", "sleeper"}, {"stop", "sleeper"}, {"rm", "sleeper", "hog"}} {
		if out, err := docker(step...); err != nil {
			t.Fatalf("docker %v: %v: %s", step, err, out)
		}
	}
	if out, _ := docker("ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Errorf("containers left: %s", out)
	}
}
