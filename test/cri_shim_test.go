package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shimPidOf is the pid of the process that a container's init is the
// child of: its shim.
func shimPidOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func procName(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}

// TestCRIShimCrash: a jinn-shim killed with SIGKILL leaves nothing once
// containerd has run its cleanup (the shim binary's delete command): the
// pod's containers end, their rootfs mounts, cgroups and runtime state go.
func TestCRIShimCrash(t *testing.T) {
	e := startCRI(t)
	e.crictlOK("pull", e.registry+"/e2e-test-images/busybox:1.29-2")
	top := "/kubepods-" + randHex(4)
	t.Cleanup(func() { removeCgroups(top) })
	parent := top + "/pod" + randHex(8)
	pod := e.podConfig("crash", parent)
	p := e.crictlOK("runp", "--runtime", "jinn-shim", pod)
	c := e.crictlOK("create", p, e.ctrConfig("c1", []string{"sleep", "1000"}, nil), pod)
	e.crictlOK("start", c)
	pid := e.pid(c)
	shim := shimPidOf(t, pid)
	if n := procName(shim); n != "containerd-shim" { // comm is cut at 15 bytes
		t.Fatalf("container's parent %d is %q, not the shim", shim, n)
	}
	if err := syscall.Kill(shim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	e.waitState(c, "CONTAINER_EXITED", 20*time.Second)
	waitFor(t, 10*time.Second, "the container's init to end", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid))
		return err != nil
	})
	state := filepath.Join(e.dir, "runtime", "jinn-shim", "k8s.io")
	waitFor(t, 10*time.Second, "runtime state to go", func() bool {
		ents, _ := os.ReadDir(state)
		return len(ents) == 0
	})
	for _, d := range cgroupDirs(strings.TrimPrefix(parent, "/") + "/*") {
		t.Errorf("cgroup left: %s", d)
	}
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, c) || strings.Contains(l, p) && strings.Contains(l, "rootfs") {
			t.Errorf("mount left: %s", l)
		}
	}
	e.crictlOK("rm", c)
	e.crictl("stopp", p)
	e.crictlOK("rmp", p)
}

// TestCRIShimFds: no fd of the shim reaches a container's init or an
// exec: the init has exactly its stdio, an exec's only other fd is the one
// ls opens to list them.
func TestCRIShimFds(t *testing.T) {
	e := startCRI(t)
	e.crictlOK("pull", e.registry+"/e2e-test-images/busybox:1.29-2")
	top := "/kubepods-" + randHex(4)
	t.Cleanup(func() { removeCgroups(top) })
	pod := e.podConfig("fds", top+"/pod"+randHex(8))
	p := e.crictlOK("runp", "--runtime", "jinn-shim", pod)
	c := e.crictlOK("create", p, e.ctrConfig("c1", []string{"sleep", "1000"}, nil), pod)
	e.crictlOK("start", c)
	e.waitState(c, "CONTAINER_RUNNING", 10*time.Second)
	fdDir := "/proc/" + strconv.Itoa(e.pid(c)) + "/fd"
	ents, err := os.ReadDir(fdDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ents {
		if n, _ := strconv.Atoi(d.Name()); n > 2 {
			target, _ := os.Readlink(filepath.Join(fdDir, d.Name()))
			t.Errorf("container init has fd %s → %s", d.Name(), target)
		}
	}
	out := e.crictlOK("exec", c, "ls", "-l", "/proc/self/fd/")
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || f[len(f)-2] != "->" {
			continue
		}
		if n, _ := strconv.Atoi(f[len(f)-3]); n > 2 && !strings.HasPrefix(f[len(f)-1], "/proc/") {
			t.Errorf("exec has fd %d → %s", n, f[len(f)-1])
		}
	}
	e.crictlOK("rmp", "-f", p)
}
