package test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nsOwner returns the inode of the user namespace that owns namespace
// file p (ioctl NS_GET_USERNS).
func nsOwner(t *testing.T, p string) uint64 {
	t.Helper()
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	u, err := unix.IoctlRetInt(fd, unix.NS_GET_USERNS)
	if err != nil {
		t.Fatalf("NS_GET_USERNS %s: %v", p, err)
	}
	defer unix.Close(u)
	var st unix.Stat_t
	if err := unix.Fstat(u, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// A user namespace joined by path owns the container's new namespaces:
// its root may set the hostname, mount proc and sysfs.
func TestRuntimeJoinUserNamespaceOwnsNew(t *testing.T) {
	holder := exec.Command("unshare", "-U", "--map-root-user", "sleep", "100")
	if err := holder.Start(); err != nil {
		t.Skipf("unshare: %v", err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	userns := "/proc/" + strconv.Itoa(holder.Process.Pid) + "/ns/user"
	host, _ := os.Readlink("/proc/self/ns/user")
	for i := 0; ; i++ {
		if l, _ := os.Readlink(userns); l != "" && l != host {
			break
		}
		if i > 200 {
			t.Fatal("unshare -U never made its namespace")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var want syscall.Stat_t
	if err := syscall.Stat(userns, &want); err != nil {
		t.Fatal(err)
	}
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "100"}
		s.Hostname = "rtfix-joined"
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: userns})
		// Only root is mapped there: devpts cannot take gid 5.
		for i, m := range s.Mounts {
			if m.Type == "devpts" {
				var opts []string
				for _, o := range m.Options {
					if o != "gid=5" {
						opts = append(opts, o)
					}
				}
				s.Mounts[i].Options = opts
			}
		}
	})
	id := newID("joinuser")
	e.must("run", "-d", id)
	defer e.run("delete", "--force", id)
	pid := strconv.Itoa(e.state(id).Pid)
	for _, n := range []string{"uts", "ipc", "net", "mnt", "pid"} {
		if got := nsOwner(t, "/proc/"+pid+"/ns/"+n); got != want.Ino {
			t.Errorf("%s namespace owned by user namespace %d, want the joined %d", n, got, want.Ino)
		}
	}
	out, stderr, code := e.run("exec", id, "hostname")
	if code != 0 || strings.TrimSpace(out) != "rtfix-joined" {
		t.Errorf("hostname in the container: %q %s", out, stderr)
	}
}
