package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRuntimeLifecycle(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	id := newID("life")
	pidFile := filepath.Join(t.TempDir(), "pid")
	e.must("create", "--bundle", e.bundle, "--pid-file", pidFile, id)
	st := e.state(id)
	if st.Status != specs.StateCreated || st.ID != id || st.Bundle != e.bundle || st.Pid == 0 {
		t.Fatalf("state after create: %+v", st)
	}
	b, _ := os.ReadFile(pidFile)
	if strconv.Itoa(st.Pid) != string(b) {
		t.Fatalf("pid file %q, state pid %d", b, st.Pid)
	}
	// The init is in its cgroup, under jinn's parent, before start.
	if cg, _ := os.ReadFile("/proc/" + strconv.Itoa(st.Pid) + "/cgroup"); !strings.Contains(string(cg), "pids:/"+suite.cgroupParent+"/"+id+"\n") {
		t.Fatalf("init cgroup: %s", cg)
	}
	// The init waits before execve of the user program.
	if cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(st.Pid) + "/cmdline"); strings.Contains(string(cmd), "sleep") {
		t.Fatalf("user program runs before start: %q", cmd)
	}
	if out := e.must("list"); !strings.Contains(out, id) || !strings.Contains(out, "created") {
		t.Fatalf("list: %s", out)
	}
	if out := e.must("list", "-q"); strings.TrimSpace(out) != id {
		t.Fatalf("list -q: %q", out)
	}
	if out := e.must("list", "--format", "json"); !strings.Contains(out, `"status":"created"`) {
		t.Fatalf("list json: %s", out)
	}
	e.fails("container does not exist", "delete", "nonexistent-"+id)
	e.must("start", id)
	if st := e.state(id); st.Status != specs.StateRunning {
		t.Fatalf("state after start: %+v", st)
	}
	e.fails("already running", "start", id)
	// start returns once the init is released; it execs sleep right after.
	for i := 0; i < 500; i++ {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(st.Pid) + "/cmdline"); strings.HasPrefix(string(b), "sleep") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.fails("not stopped", "delete", id)
	if out := e.must("ps", id); !strings.Contains(out, "sleep 100") || !strings.Contains(out, "PID") {
		t.Fatalf("ps: %s", out)
	}
	if out := e.must("ps", id, "-o", "pid,comm"); !strings.Contains(out, strconv.Itoa(st.Pid)+" sleep") {
		t.Fatalf("ps with ps(1) args: %s", out)
	}
	if out := e.must("ps", "--format", "json", id); out != "["+strconv.Itoa(st.Pid)+"]\n" {
		t.Fatalf("ps json: %q, pid %d", out, st.Pid)
	}
	e.must("kill", id, "KILL")
	waitStatus(t, e, id, specs.StateStopped)
	e.fails("container not running", "kill", id)
	e.fails("cannot start a container that has stopped", "start", id)
	e.must("delete", id)
	e.fails("container does not exist", "state", id)
	if _, err := os.Stat(cgroupPath("pids", id)); err == nil {
		t.Fatalf("delete left the cgroup")
	}
}

// Commands on one container from many processes at once: the lock
// serialises them; exactly one delete wins and nothing is left.
func TestRuntimeConcurrentCommands(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	id := newID("concurrent")
	e.must("run", "-d", id)
	done := make(chan int, 12)
	for i := 0; i < 12; i++ {
		args := [][]string{{"delete", "--force", id}, {"state", id}, {"kill", id, "0"}}[i%3]
		go func() {
			_, _, code := e.run(args...)
			done <- code
		}()
	}
	for i := 0; i < 12; i++ {
		<-done
	}
	e.fails("does not exist", "state", id)
}

func waitStatus(t *testing.T, e *rtEnv, id string, want specs.ContainerState) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if out, _, code := e.run("state", id); code == 0 && strings.Contains(out, `"status": "`+string(want)+`"`) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never became %s", id, want)
}

func TestRuntimeDeleteCreatedKillsInit(t *testing.T) {
	e := newRT(t, nil)
	id := newID("delcreated")
	e.must("create", id)
	pid := e.state(id).Pid
	e.must("delete", id)
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		if st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); !strings.Contains(string(st), ") Z") {
			t.Fatalf("init %d survives delete", pid)
		}
	}
}

func TestRuntimeKillSignals(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "trap 'echo got-usr1 > /tmp/sig; exit 0' USR1; touch /tmp/trapped; while :; do sleep 0.05; done"}
		s.Root.Readonly = false
	})
	id := newID("kill")
	e.must("run", "-d", id)
	e.fails("unknown signal", "kill", id, "SIGNOPE")
	// pid 1 ignores signals it has no handler for: wait for the trap.
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(filepath.Join(e.rootfs, "tmp", "trapped")); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.must("kill", id, "SIGUSR1")
	waitStatus(t, e, id, specs.StateStopped)
	if b, _ := os.ReadFile(filepath.Join(e.rootfs, "tmp", "sig")); string(b) != "got-usr1\n" {
		t.Fatalf("signal not delivered: %q", b)
	}
	e.must("delete", id)

	id = newID("killall")
	e.edit(func(s *specs.Spec) { s.Process.Args = []string{"sh", "-c", "sleep 100 & sleep 100"} })
	e.must("run", "-d", id)
	e.must("kill", "--all", id, "9")
	waitStatus(t, e, id, specs.StateStopped)
	e.must("delete", id)
}

func TestRuntimeRunExitStatus(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sh", "-c", "echo out; echo err >&2; exit 3"} })
	out, stderr, code := e.run("run", newID("exit"))
	if code != 3 || out != "out\n" || stderr != "err\n" {
		t.Fatalf("run: code %d out %q err %q", code, out, stderr)
	}
	// A signal from outside ends run with 128+signal, as a shell reports.
	e.edit(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	id := newID("killed")
	c := e.cmd("run", id)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, e, id, specs.StateRunning)
	e.must("kill", id, "KILL")
	c.Wait()
	if code := c.ProcessState.ExitCode(); code != 137 {
		t.Fatalf("run killed: code %d, want 137", code)
	}
	if _, err := os.Stat(filepath.Join(e.root, id)); err == nil {
		t.Fatalf("run left its state behind")
	}
}

func TestRuntimeNoPivot(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "ls /bin/busybox && cat /proc/1/mountinfo | head -1"}
	})
	out := e.must("run", "--no-pivot", newID("nopivot"))
	if !strings.Contains(out, "/bin/busybox") {
		t.Fatalf("no-pivot: %q", out)
	}
}

func TestRuntimePreserveFds(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "echo hello >&3; echo fds: $(ls /proc/self/fd | wc -l); env | grep LISTEN || true"}
	})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := e.cmd("run", "--preserve-fds", "1", newID("fds"))
	c.ExtraFiles = []*os.File{w}
	out, err := c.Output()
	w.Close()
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "hello\n" {
		t.Fatalf("fd 3 got %q", buf[:n])
	}
	// 0,1,2,3 and the fd ls opens: nothing of the runtime leaks in.
	if !strings.Contains(string(out), "fds: 5") {
		t.Fatalf("fds in container: %q", out)
	}

	// Socket activation: LISTEN_FDS passes fds and sets LISTEN_PID=1.
	r2, w2, _ := os.Pipe()
	defer r2.Close()
	c = e.cmd("run", newID("listen"))
	c.ExtraFiles = []*os.File{w2}
	c.Env = append(os.Environ(), "LISTEN_FDS=1")
	out, err = c.Output()
	w2.Close()
	if err != nil {
		t.Fatalf("run with LISTEN_FDS: %v", err)
	}
	if !strings.Contains(string(out), "LISTEN_FDS=1") || !strings.Contains(string(out), "LISTEN_PID=1") {
		t.Fatalf("LISTEN env: %q", out)
	}
	n, _ = r2.Read(buf)
	if string(buf[:n]) != "hello\n" {
		t.Fatalf("listen fd got %q", buf[:n])
	}
	_ = syscall.Getpid
}
