package test

import (
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// CVE-2016-9962: an exec's init joins the running container and, before
// its execve, takes the user's ids and the container's capabilities. A
// process in the container with the same ids and capabilities (the
// defaults: no CAP_SYS_PTRACE) must still not reach it: not its
// environment, its fds (the sync socket to the runtime, the caller's
// stdio), its memory, nor attach to it. The init is held at its execve,
// after everything else (ids, capabilities, no_new_privs, seccomp), while
// the attacker, the container's own process, tries; then the exec'd
// process shows that no fd of the runtime's reached it.
//
// The Go init is held by the seccomp agent: the container's profile sends
// execve to it before the syscall starts. The C init does not take
// profiles that notify; it is held by a fanotify permission event on the
// program's open for execve, inside the syscall, where the kernel already
// holds the init's exec lock: an attach would wait for the execve, so
// there the attacker tries everything but ptrace (/proc/PID/mem takes the
// same check).
func TestSecurityExecInitNotDumpable(t *testing.T) {
	t.Run("GoInit", func(t *testing.T) {
		sock, l := agentSocket(t)
		e := newSec(t, func(s *specs.Spec) {
			s.Root.Readonly = false
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: sock,
				Syscalls: []specs.LinuxSyscall{{Names: []string{"execve", "execveat"}, Action: specs.ActNotify}}}
			// One attempt per jinn-attack: its exit ends a successful attach.
			s.Process.Args = []string{"sh", "-c", "while :; do jinn-attack peek /tmp/target >> /tmp/peek.log 2>&1; done"}
		})
		id := secID("dumpable")
		go holdAgent(l, nil, nil) // the container's process: every execve goes on
		e.must("run", "-d", id)
		defer e.run("delete", "--force", id)
		held, release := make(chan int, 1), make(chan struct{})
		go holdAgent(l, held, release)
		attackHeldExec(t, e, id, held, release, true, "jinn-attack")
	})
	t.Run("CInit", func(t *testing.T) {
		e := newSec(t, func(s *specs.Spec) {
			s.Root.Readonly = false
			s.Process.Args = []string{"sh", "-c", "while :; do jinn-attack peek /tmp/target noptrace >> /tmp/peek.log 2>&1; done"}
		})
		e.env = []string{"JINN_RUNTIME_CINIT=1"}
		// The exec's program, a copy: only its execve is held.
		prog := filepath.Join(e.rootfs, "bin", "jinn-held")
		if err := copyFile(filepath.Join(e.rootfs, "bin", "jinn-attack"), prog); err != nil {
			t.Fatal(err)
		}
		fan, err := unix.FanotifyInit(unix.FAN_CLASS_CONTENT|unix.FAN_CLOEXEC, unix.O_RDONLY|unix.O_CLOEXEC)
		if err != nil {
			t.Skipf("fanotify (CONFIG_FANOTIFY_ACCESS_PERMISSIONS): %v", err)
		}
		defer unix.Close(fan) // answers what is still held: allow
		if err := unix.FanotifyMark(fan, unix.FAN_MARK_ADD, unix.FAN_OPEN_EXEC_PERM, unix.AT_FDCWD, prog); err != nil {
			t.Skipf("fanotify FAN_OPEN_EXEC_PERM (Linux 5.0): %v", err)
		}
		id := secID("dumpable")
		e.must("run", "-d", id)
		defer e.run("delete", "--force", id)
		held, release := make(chan int, 1), make(chan struct{})
		go holdExecOpen(fan, held, release)
		attackHeldExec(t, e, id, held, release, false, "jinn-held")
	})
}

// attackHeldExec runs `exec id prog cwd` while held reports the pid of its
// init, held before its execve until release closes; the container's
// process (jinn-attack peek) attacks that init meanwhile.
func attackHeldExec(t *testing.T, e *rtEnv, id string, held <-chan int, release chan struct{}, goInit bool, prog string) {
	t.Helper()
	// Read now: the exec holds the container's lock until its execve.
	initStatus, err := os.ReadFile("/proc/" + strconv.Itoa(e.state(id).Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	x := e.cmd("exec", id, prog, "cwd")
	var out strings.Builder
	x.Stdout, x.Stderr = &out, &out
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	released := false
	defer func() {
		if !released {
			close(release)
		}
		x.Wait()
	}()
	var pid int
	select {
	case pid = <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the exec's init never reached its execve")
	}
	status, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	field := func(status []byte, k string) []string {
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == k+":" {
				return f[1:]
			}
		}
		t.Fatalf("no %s in %s", k, status)
		return nil
	}
	if name := field(status, "Name"); name[0] != "jinn:[init]" {
		t.Fatalf("held %q, want the exec's init before its execve", name)
	}
	// One thread is the C init, the Go init has its runtime's.
	if threads := field(status, "Threads")[0]; (threads == "1") == goInit {
		t.Fatalf("held init has %s threads: not the %s init", threads, map[bool]string{true: "Go", false: "C"}[goInit])
	}
	// The window of the CVE: the init already has the container's
	// capabilities and ids, as the attacker does.
	for _, k := range []string{"CapPrm", "CapEff"} {
		if got, want := capSets(string(status))[k], capSets(string(initStatus))[k]; got != want {
			t.Fatalf("held init's %s %#x, the container's %#x: not held after the capability drop", k, got, want)
		}
	}
	nspid := field(status, "NSpid")
	target := nspid[len(nspid)-1]
	tmp := filepath.Join(e.rootfs, "tmp")
	os.WriteFile(filepath.Join(tmp, "target.new"), []byte(target), 0o644)
	os.Rename(filepath.Join(tmp, "target.new"), filepath.Join(tmp, "target"))
	var log string
	for i := 0; i < 500 && !strings.Contains(log, "done "+target); i++ {
		time.Sleep(10 * time.Millisecond)
		b, _ := os.ReadFile(filepath.Join(tmp, "peek.log"))
		log = string(b)
	}
	released = true
	close(release)
	if !strings.Contains(log, "done "+target) {
		t.Fatalf("the attacker did not finish:\n%s", log)
	}
	t.Logf("attacker, on the held init (pid %s in the container):\n%s", target, log)
	for _, line := range strings.Split(log, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && (f[0] == "environ" || f[0] == "mem" || f[0] == "ptrace") && f[1] == "ok":
			t.Errorf("ESCAPE: a container process could %s the exec's init: %s", f[0], line)
		case len(f) >= 6 && f[0] == "fd" && (f[3] == "ok" || f[5] == "ok"):
			t.Errorf("ESCAPE: a container process reached the exec's init's fd: %s", line)
		}
	}
	if goInit && !strings.Contains(log, "ptrace EPERM") {
		t.Errorf("the attacker did not try ptrace:\n%s", log)
	}
	if err := x.Wait(); err != nil {
		t.Fatalf("exec: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "\nfd ") || !strings.Contains(out.String(), "getwd") {
		t.Errorf("descriptors leaked into the exec'd process:\n%s", out.String())
	}
}

// holdAgent takes one seccomp listener and lets every notified syscall go
// on; with held set, it first reports the pid of the first notification
// and holds it until release closes.
func holdAgent(l *net.UnixListener, held chan<- int, release <-chan struct{}) {
	fd, _ := acceptListener(l)
	if fd < 0 {
		return
	}
	defer unix.Close(fd)
	answerNotifs(fd, func(req *[80]byte, resp *[24]byte) {
		if held != nil {
			held <- int(binary.LittleEndian.Uint32(req[8:]))
			<-release
			held = nil
		}
		binary.LittleEndian.PutUint32(resp[20:], unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE)
	})
}

// holdExecOpen holds the first open for execve that fan reports, tells its
// pid, and allows it once release closes.
func holdExecOpen(fan int, held chan<- int, release <-chan struct{}) {
	fds := []unix.PollFd{{Fd: int32(fan), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, 10000); n != 1 || err != nil {
		return
	}
	var ev unix.FanotifyEventMetadata
	buf := (*[unsafe.Sizeof(ev)]byte)(unsafe.Pointer(&ev))
	if n, err := unix.Read(fan, buf[:]); err != nil || n < len(buf) {
		return
	}
	held <- int(ev.Pid)
	<-release
	resp := unix.FanotifyResponse{Fd: ev.Fd, Response: unix.FAN_ALLOW}
	unix.Write(fan, (*[unsafe.Sizeof(resp)]byte)(unsafe.Pointer(&resp))[:])
	unix.Close(int(ev.Fd))
}

// Nothing host-side reaches the user program: the sync socket, the exec
// fifo, the console and plan's fds close at the init's execve, and so do
// fds the runtime's caller leaked to it (here a host directory, not
// close-on-exec, as CVE-2024-21626's was). The Go run, the C run (the run
// plan of the first), and exec through the Go and the C init.
func TestSecurityInitFdsCloseAtExecve(t *testing.T) {
	e := newSec(t, func(s *specs.Spec) { s.Process.Args = []string{"jinn-attack", "cwd"} })
	served, _, _ := cRunEnv(t, e)
	leak, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer leak.Close()
	run := func(args ...string) string {
		t.Helper()
		c := e.cmd(args...)
		c.ExtraFiles = []*os.File{leak} // fd 3, inherited as is
		out, err := c.Output()
		if err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
		if s := string(out); strings.Contains(s, "\nfd ") || !strings.Contains(s, "getwd") {
			t.Errorf("%v: descriptors reached the container's process:\n%s", args, s)
		}
		return string(out)
	}
	id := secID("fds")
	for i := 0; i < 2; i++ {
		run("run", id)
		if got := served(); len(got) != i {
			t.Fatalf("run %d: the C run served %v", i+1, got)
		}
	}
	e.edit(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	e.must("run", "-d", id)
	defer e.run("delete", "--force", id)
	for _, mode := range []string{"0", "1"} {
		e.env = append(e.env, "JINN_RUNTIME_CINIT="+mode)
		run("exec", id, "jinn-attack", "cwd")
	}
}
