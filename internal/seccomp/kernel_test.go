package seccomp

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestKernelLoadsDocker loads Docker's default profile into a child (this
// test binary re-run) and checks the kernel enforces it as runc would.
func TestKernelLoadsDocker(t *testing.T) {
	if os.Getenv("JINN_SECCOMP_CHILD") == "1" {
		kernelChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKernelLoadsDocker$", "-test.v")
	cmd.Env = append(os.Environ(), "JINN_SECCOMP_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

func kernelChild(t *testing.T) {
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	p, err := Compile(dockerDefault(t, dockerCaps))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Load(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Unshare(unix.CLONE_NEWNS); !errors.Is(err, unix.EPERM) {
		t.Errorf("unshare: %v, want EPERM", err)
	}
	if err := unix.Mount("none", "/mnt", "tmpfs", 0, ""); !errors.Is(err, unix.EPERM) {
		t.Errorf("mount: %v, want EPERM", err)
	}
	if _, err := unix.KeyctlInt(unix.KEYCTL_GET_KEYRING_ID, -3, 0, 0, 0); !errors.Is(err, unix.EPERM) {
		t.Errorf("keyctl: %v, want EPERM", err)
	}
	if _, err := os.ReadFile("/proc/self/status"); err != nil {
		t.Errorf("read: %v", err)
	}
	if out, err := exec.Command("/bin/true").CombinedOutput(); err != nil {
		t.Errorf("fork+exec: %v %s", err, out)
	}
}
