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
// environment, its fds (the sync socket to the runtime), its memory, nor
// attach to it. The init is held right at its execve, after everything
// else (ids, capabilities, no_new_privs, the seccomp filter): the
// container's profile sends execve to a notify agent (the test), which
// holds the exec's until the attacker, the container's process, has
// tried. The exec'd process then shows that no fd of the runtime's
// reached it.
func TestSecurityExecInitNotDumpable(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
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
	// Read now: the exec holds the container's lock until its execve.
	initStatus, err := os.ReadFile("/proc/" + strconv.Itoa(e.state(id).Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}

	held, release := make(chan int, 1), make(chan struct{})
	go holdAgent(l, held, release)
	exec := e.cmd("exec", id, "jinn-attack", "cwd")
	var out strings.Builder
	exec.Stdout, exec.Stderr = &out, &out
	if err := exec.Start(); err != nil {
		t.Fatal(err)
	}
	released := false
	defer func() {
		if !released {
			close(release)
		}
		exec.Wait()
	}()
	var pid int
	select {
	case pid = <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the exec's init never reached its execve")
	}
	proc := "/proc/" + strconv.Itoa(pid)
	comm, _ := os.ReadFile(proc + "/comm")
	status, _ := os.ReadFile(proc + "/status")
	if strings.TrimSpace(string(comm)) != "jinn:[init]" {
		t.Fatalf("held %q, want the exec's init before its execve", comm)
	}
	// The window of the CVE: the init already has the container's ids and
	// capabilities, as the attacker does.
	for _, k := range []string{"CapPrm", "CapEff"} {
		if got, want := capSets(string(status))[k], capSets(string(initStatus))[k]; got != want {
			t.Fatalf("held init's %s %#x, the container's %#x: not held after the capability drop", k, got, want)
		}
	}
	nspid := ""
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "NSpid:" {
			nspid = f[len(f)-1]
		}
	}
	if nspid == "" {
		t.Fatalf("no NSpid in %s", status)
	}
	os.WriteFile(filepath.Join(e.rootfs, "tmp", "target.new"), []byte(nspid), 0o644)
	os.Rename(filepath.Join(e.rootfs, "tmp", "target.new"), filepath.Join(e.rootfs, "tmp", "target"))
	logPath := filepath.Join(e.rootfs, "tmp", "peek.log")
	var log string
	for i := 0; i < 500 && !strings.Contains(log, "done "+nspid); i++ {
		time.Sleep(10 * time.Millisecond)
		b, _ := os.ReadFile(logPath)
		log = string(b)
	}
	released = true
	close(release)
	if !strings.Contains(log, "done "+nspid) {
		t.Fatalf("the attacker did not finish:\n%s", log)
	}
	t.Logf("attacker, on the held init (pid %s in the container):\n%s", nspid, log)
	for _, line := range strings.Split(log, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && (f[0] == "environ" || f[0] == "mem" || f[0] == "ptrace") && f[1] == "ok":
			t.Errorf("ESCAPE: a container process could %s the exec's init: %s", f[0], line)
		case len(f) >= 6 && f[0] == "fd" && (f[3] == "ok" || f[5] == "ok"):
			t.Errorf("ESCAPE: a container process reached the exec's init's fd: %s", line)
		}
	}
	if err := exec.Wait(); err != nil {
		t.Fatalf("exec: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "\nfd ") {
		t.Errorf("descriptors leaked into the exec'd process:\n%s", out.String())
	}
}

// holdAgent takes one seccomp listener and lets every notified syscall go
// on; with held set, it first reports the pid of the first notification
// and holds it until release closes.
func holdAgent(l *net.UnixListener, held chan<- int, release <-chan struct{}) {
	c, err := l.AcceptUnix()
	if err != nil {
		return
	}
	defer c.Close()
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return
	}
	msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
	if len(msgs) != 1 {
		return
	}
	fds, _ := unix.ParseUnixRights(&msgs[0])
	if len(fds) != 1 {
		return
	}
	fd := fds[0]
	defer unix.Close(fd)
	for {
		var req [80]byte // struct seccomp_notif: id, pid, flags, data
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&req[0]))); e != 0 {
			if e == unix.EINTR {
				continue
			}
			return // the process is gone
		}
		if held != nil {
			held <- int(binary.LittleEndian.Uint32(req[8:]))
			<-release
			held = nil
		}
		var resp [24]byte // struct seccomp_notif_resp: id, val, error, flags
		copy(resp[0:8], req[0:8])
		binary.LittleEndian.PutUint32(resp[20:], unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE)
		unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp[0])))
	}
}
