package test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestRuntimeExecKill plays containerd's runc shim around an exec, as CRI's
// ExecSync with a timeout drives it: the shim is a child subreaper, runs
// `exec --detach --pid-file F` with a pipe as stdout, signals the pid it
// read from F, waits for that pid's exit and for EOF on the pipe (a
// process that survives, or a pid that is not the user program, hangs the
// ExecSync). Then the same with `kill --all`, which a stop uses. Run
// against runc first to prove the test right.
func TestRuntimeExecKill(t *testing.T) {
	for _, rt := range []string{"runc", "jinn-runtime"} {
		t.Run(rt, func(t *testing.T) {
			e := newRTWith(t, rt, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "1000"} })
			id := newID("execkill")
			e.must("run", "-d", id)
			init := e.state(id).Pid

			// From here the exec'd processes, orphaned when the runtime
			// exits, are ours to reap, as they are the shim's.
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				t.Fatal(err)
			}
			defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)

			pid, out := shimExec(t, e, id)
			if err := unix.Kill(pid, unix.SIGKILL); err != nil {
				t.Fatalf("kill exec pid %d: %v", pid, err)
			}
			waitKilled(t, pid)
			waitEOF(t, out)

			pid, out = shimExec(t, e, id)
			e.must("kill", "--all", id, "KILL")
			waitKilled(t, pid)
			waitEOF(t, out)
			waitFor(t, 5*time.Second, "the container's init to die", func() bool { return !alive(init) })
			e.must("delete", id)
		})
	}
}

// TestRuntimeKillAllStopped: where the pid namespace outlives the init (a
// pod's shared one; here the host's), an exec'd process outlives it too,
// and the shim's `kill --all` after the init's exit must still kill it: on
// a stopped container runc signals what is left in the cgroup and
// succeeds.
func TestRuntimeKillAllStopped(t *testing.T) {
	for _, rt := range []string{"runc", "jinn-runtime"} {
		t.Run(rt, func(t *testing.T) {
			e := newRTWith(t, rt, func(s *specs.Spec) {
				s.Process.Args = []string{"sleep", "1000"}
				var ns []specs.LinuxNamespace
				for _, n := range s.Linux.Namespaces {
					if n.Type != specs.PIDNamespace {
						ns = append(ns, n)
					}
				}
				s.Linux.Namespaces = ns
			})
			id := newID("killall")
			e.must("run", "-d", id)
			init := e.state(id).Pid
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				t.Fatal(err)
			}
			defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
			pid, out := shimExec(t, e, id)
			e.must("kill", id, "KILL")
			waitFor(t, 5*time.Second, "the init to die", func() bool { return !alive(init) })
			if !alive(pid) {
				t.Fatalf("the exec'd process died with the init: the test needs a shared pid namespace")
			}
			if st := e.state(id).Status; st != specs.StateStopped {
				t.Fatalf("status %s, want stopped", st)
			}
			e.must("kill", "--all", id, "KILL")
			waitKilled(t, pid)
			waitEOF(t, out)
			e.must("kill", "--all", id, "KILL") // nothing left: still no error
			e.fails("not running", "kill", id, "KILL")
			e.must("delete", id)
		})
	}
}

// shimExec runs `exec --detach --pid-file` of `sleep 4321` with a pipe as
// stdout and checks that the pid written is the user program itself: a
// child of ours (the subreaper) once the runtime is gone, in the
// container's cgroups and pid namespace. It returns the pid and the pipe.
func shimExec(t *testing.T, e *rtEnv, id string) (int, *os.File) {
	t.Helper()
	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	// A file, not a pipe: the exec'd process keeps stderr open.
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	c := e.cmd("exec", "--detach", "--pid-file", pidFile, id, "sleep", "4321")
	c.Stdout, c.Stderr = w, stderr
	err = c.Run()
	w.Close()
	if err != nil {
		msg, _ := os.ReadFile(stderr.Name())
		t.Fatalf("exec --detach: %v: %s", err, msg)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %q: %v", b, err)
	}
	t.Cleanup(func() { // a failed test must not leave it
		unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	})
	// runc's init may still be on its way to execve when runc exits (its
	// comm is "runc:[2:INIT]" for a moment): the pid is right, the name
	// comes a little later.
	var comm string
	for end := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if comm = procField(t, pid, "comm"); comm == "sleep" || time.Now().After(end) {
			break
		}
	}
	if comm != "sleep" {
		t.Errorf("pid file names %d, %q, not the user program sleep", pid, comm)
	}
	if ppid := statusField(t, pid, "PPid"); ppid != strconv.Itoa(os.Getpid()) {
		t.Errorf("exec pid %d: parent %s, want the subreaper %d (an intermediate process is alive)", pid, ppid, os.Getpid())
	}
	init := e.state(id).Pid
	if got, want := procField(t, pid, "cgroup"), procField(t, init, "cgroup"); got != want {
		t.Errorf("exec pid %d: cgroups\n%s\nwant the init's\n%s", pid, got, want)
	}
	nsOf := func(p int) string { l, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", p)); return l }
	if nsOf(pid) != nsOf(init) {
		t.Errorf("exec pid %d: pid namespace %s, init's %s", pid, nsOf(pid), nsOf(init))
	}
	return pid, r
}

// waitKilled reaps pid, our child, and checks SIGKILL ended it.
func waitKilled(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if err != nil {
			t.Fatalf("wait4 %d: %v", pid, err)
		}
		if got == pid {
			if !ws.Signaled() || ws.Signal() != unix.SIGKILL {
				t.Errorf("exec pid %d: wait status %#x, want killed by SIGKILL", pid, ws)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("exec pid %d survives SIGKILL (%s)", pid, procField(t, pid, "comm"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitEOF checks that nothing holds the exec's stdout any more.
func waitEOF(t *testing.T, r *os.File) {
	t.Helper()
	r.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Errorf("exec's stdout: no EOF after the kill: %v", err)
	}
}

func procField(t *testing.T, pid int, name string) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return strings.TrimSpace(string(b))
}

func statusField(t *testing.T, pid int, key string) string {
	for _, l := range strings.Split(procField(t, pid, "status"), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
