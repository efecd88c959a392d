package test

import (
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// SCMP_ACT_NOTIFY: the listener goes to the agent at listenerPath (on the
// host) with the process state; the agent answers mkdir with EACCES and the
// container sees it; the same for an exec'd process.
func TestSecuritySeccompNotify(t *testing.T) {
	sock, l := agentSocket(t)
	got := make(chan string, 4)
	go agent(l, got)
	e := newSec(t, func(s *specs.Spec) {
		s.Root.Readonly = false
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: sock, ListenerMetadata: "jinn-test",
			Flags:    []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv},
			Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActNotify}}}
		s.Process.Args = []string{"sh", "-c", "mkdir /tmp/notified; echo rc=$?; ls /tmp"}
	})
	out, stderr, code := e.run("run", secID("notify"))
	if code != 0 {
		t.Fatalf("run: %d %s", code, stderr)
	}
	if !strings.Contains(out, "rc=1") || strings.Contains(out, "notified") {
		t.Errorf("mkdir not refused by the agent:\n%s", out)
	}
	select {
	case m := <-got:
		if !strings.Contains(m, `"metadata":"jinn-test"`) || !strings.Contains(m, `"seccompFd"`) || !strings.Contains(m, `"id":"security-notify-`) {
			t.Errorf("agent got state %s", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("agent got nothing")
	}
	// exec: a listener of its own.
	go agent(l, got)
	e.edit(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	id := secID("notify")
	e.must("run", "-d", id)
	<-got // the init's listener
	go agent(l, got)
	if out := e.must("exec", id, "sh", "-c", "mkdir /tmp/x2; echo rc=$?"); !strings.Contains(out, "rc=1") {
		t.Errorf("exec: mkdir not refused: %s", out)
	}
	e.must("delete", "--force", id)
}

// agentSocket listens where a seccomp agent is reached (listenerPath);
// closed at the end of the test.
func agentSocket(t *testing.T) (string, *net.UnixListener) {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return sock, l
}

// agent takes one listener and answers every notification with EACCES.
func agent(l *net.UnixListener, got chan<- string) {
	fd, state := acceptListener(l)
	if state != "" {
		got <- state
	}
	if fd < 0 {
		return
	}
	defer unix.Close(fd)
	answerNotifs(fd, func(req *[80]byte, resp *[24]byte) {
		eacces := -int32(unix.EACCES)
		binary.LittleEndian.PutUint32(resp[16:], uint32(eacces))
	})
}

// acceptListener takes one connection from the runtime and returns the
// seccomp listener and the process state it came with (fd -1: none).
func acceptListener(l *net.UnixListener) (int, string) {
	c, err := l.AcceptUnix()
	if err != nil {
		return -1, ""
	}
	defer c.Close()
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return -1, ""
	}
	msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
	if len(msgs) != 1 {
		return -1, string(buf[:n])
	}
	fds, _ := unix.ParseUnixRights(&msgs[0])
	if len(fds) != 1 {
		return -1, string(buf[:n])
	}
	return fds[0], string(buf[:n])
}

// answerNotifs answers each notification on the listener fd as answer
// fills in the response (its id already set) until the process is gone.
func answerNotifs(fd int, answer func(req *[80]byte, resp *[24]byte)) {
	for {
		var req [80]byte // struct seccomp_notif: id, pid, flags, data
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&req[0]))); e != 0 {
			if e == unix.EINTR {
				continue
			}
			return // the container is gone
		}
		var resp [24]byte // struct seccomp_notif_resp: id, val, error, flags
		copy(resp[0:8], req[0:8])
		answer(&req, &resp)
		unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp[0])))
	}
}
