package test

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// consoleReceiver is a tiny --console-socket: it takes the pty master sent
// with SCM_RIGHTS and returns it.
func consoleReceiver(t *testing.T) (string, <-chan *os.File) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *os.File, 1)
	go func() {
		defer l.Close()
		c, err := l.AcceptUnix()
		if err != nil {
			close(ch)
			return
		}
		defer c.Close()
		buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		if err != nil {
			close(ch)
			return
		}
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		if len(msgs) != 1 {
			close(ch)
			return
		}
		fds, _ := unix.ParseUnixRights(&msgs[0])
		ch <- os.NewFile(uintptr(fds[0]), "pty-master")
	}()
	return path, ch
}

// readUntil reads from a pty master until want appears or time runs out.
func readUntil(t *testing.T, f *os.File, want string) string {
	t.Helper()
	var got strings.Builder
	f.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1024)
	for !strings.Contains(got.String(), want) {
		n, err := f.Read(buf)
		got.Write(buf[:n])
		if err != nil && err != io.EOF {
			break
		}
	}
	return got.String()
}

func TestRuntimeTerminal(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Terminal = true
		s.Process.Args = []string{"sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && echo is-a-tty; ls -l /dev/console; stty size; sleep 100"}
		s.Process.ConsoleSize = &specs.Box{Height: 33, Width: 101}
	})
	id := newID("tty")
	e.fails("console socket", "create", id)
	sock, ch := consoleReceiver(t)
	e.must("create", "--console-socket", sock, id)
	master := <-ch
	if master == nil {
		t.Fatal("no pty master received")
	}
	defer master.Close()
	e.must("start", id)
	out := readUntil(t, master, "33 101")
	for _, want := range []string{"/dev/pts/0", "is-a-tty", "/dev/console", "33 101"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in terminal output:\n%s", want, out)
		}
	}
	// exec -t with a console socket gets a terminal of its own.
	sock2, ch2 := consoleReceiver(t)
	e.must("exec", "-t", "-d", "--console-socket", sock2, id, "sh", "-c", "tty; echo exec-tty-ok; sleep 5")
	m2 := <-ch2
	if m2 == nil {
		t.Fatal("exec: no pty master received")
	}
	defer m2.Close()
	if out := readUntil(t, m2, "exec-tty-ok"); !strings.Contains(out, "/dev/pts/1") {
		t.Errorf("exec tty output: %q", out)
	}
	e.must("delete", "--force", id)
}

// Without --console-socket, run and exec relay the pty to their own stdio.
func TestRuntimeTerminalRelay(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Terminal = true
		s.Process.Args = []string{"sh", "-c", "[ -t 1 ] && echo relayed-tty; exit 4"}
	})
	out, _, code := e.run("run", newID("relay"))
	if code != 4 || !strings.Contains(out, "relayed-tty") {
		t.Fatalf("run with terminal: code %d, out %q", code, out)
	}
	e.edit(func(s *specs.Spec) { s.Process.Terminal = false; s.Process.Args = []string{"sleep", "100"} })
	id := newID("relayexec")
	e.must("run", "-d", id)
	out, _, code = e.run("exec", "-t", id, "sh", "-c", "[ -t 0 ] && echo exec-relayed")
	if code != 0 || !strings.Contains(out, "exec-relayed") {
		t.Fatalf("exec -t: code %d, out %q", code, out)
	}
	e.must("delete", "--force", id)
}

func TestRuntimeExec(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "100"}
		s.Process.Env = append(s.Process.Env, "FROM_SPEC=1")
	})
	id := newID("exec")
	e.must("run", "-d", id)
	init := e.state(id).Pid
	out := e.must("exec", "--env", "EXTRA=2", "--cwd", "/tmp", "--user", "1000:1000", id, "sh", "-c",
		`echo $FROM_SPEC $EXTRA; pwd; id -u; id -g`)
	if !strings.Contains(out, "1 2\n/tmp\n1000\n1000\n") {
		t.Errorf("exec env/cwd/user:\n%s", out)
	}
	out = e.must("exec", id, "sh", "-c", `for n in net ipc uts mnt pid cgroup; do echo $n=$(readlink /proc/self/ns/$n)=$(readlink /proc/1/ns/$n); done; cat /proc/self/cgroup`)
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Split(l, "="); len(f) == 3 && f[1] != f[2] {
			t.Errorf("exec did not join %s namespace: %s", f[0], l)
		}
	}
	// The exec'd process is in the container's cgroup.
	own, _ := os.ReadFile("/proc/" + itoa(init) + "/cgroup")
	if !strings.Contains(out, strings.Split(strings.TrimSpace(string(own)), "\n")[0][:2]) {
		t.Errorf("cgroup: %s vs %s", out, own)
	}
	// Exit status of the exec'd process.
	if _, _, code := e.run("exec", id, "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("exec exit code %d, want 7", code)
	}
	// process.json, detached, with a pid file.
	p := specs.Process{Args: []string{"sh", "-c", "echo from-json > /dev/shm/j; sleep 100"}, Cwd: "/", Env: []string{"PATH=/bin"}}
	b, _ := json.Marshal(p)
	pj := filepath.Join(t.TempDir(), "process.json")
	os.WriteFile(pj, b, 0o644)
	pidFile := filepath.Join(t.TempDir(), "pid")
	e.must("exec", "-d", "--pid-file", pidFile, "-p", pj, id)
	if b, err := os.ReadFile(pidFile); err != nil || len(b) == 0 {
		t.Errorf("exec pid file: %v", err)
	}
	if out := e.must("exec", id, "cat", "/dev/shm/j"); out != "from-json\n" {
		t.Errorf("exec -p: %q", out)
	}
	if out := e.must("ps", "--format", "json", id); strings.Count(out, ",") < 1 {
		t.Errorf("ps lists %s, want init and the detached exec", out)
	}
	// Errors: no such program, stopped container.
	e.fails("executable file not found", "exec", id, "nosuchprog")
	e.must("kill", id, "KILL")
	waitStatus(t, e, id, specs.StateStopped)
	e.fails("stopped", "exec", id, "true")
	e.must("delete", id)
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
