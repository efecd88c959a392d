package test

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	taskapi "github.com/containerd/containerd/api/runtime/task/v2"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"
)

// TestCRIShimDeleteCommand: the shim binary's delete command, which
// containerd runs after every task's connection closes. Where the task
// left nothing it answers before Go starts (quickdelete.c: no Go init
// trace on stderr), with the bytes Go's proto.Marshal writes; a bundle
// with leftovers, a dead socket or flags it does not know go on into Go.
func TestCRIShimDeleteCommand(t *testing.T) {
	shimBin := bin("containerd-shim-jinn-v2")
	if _, err := os.Stat(shimBin); err != nil {
		t.Skipf("%s not built", shimBin)
	}
	bundle := t.TempDir()
	run := func(args ...string) (resp *taskapi.DeleteResponse, raw []byte, goStarted bool, err error) {
		c := exec.Command(shimBin, args...)
		c.Dir = filepath.Dir(bundle)
		c.Env = append(os.Environ(), "GODEBUG=inittrace=1")
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		err = c.Run()
		goStarted = strings.Contains(stderr.String(), "init runtime")
		if err != nil {
			return nil, nil, goStarted, err
		}
		resp = &taskapi.DeleteResponse{}
		if uerr := proto.Unmarshal(stdout.Bytes(), resp); uerr != nil {
			t.Fatalf("delete's answer %x: %v", stdout.Bytes(), uerr)
		}
		return resp, stdout.Bytes(), goStarted, nil
	}
	check := func(name string, wantGo bool, args ...string) {
		t.Helper()
		before := time.Now().Add(-time.Second)
		resp, raw, goStarted, err := run(args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if goStarted != wantGo {
			t.Errorf("%s: Go started %v, want %v", name, goStarted, wantGo)
		}
		at := resp.ExitedAt.AsTime()
		if resp.ExitStatus != 137 || resp.Pid != 0 || at.Before(before) || at.After(time.Now()) {
			t.Errorf("%s: answer %v", name, resp)
		}
		if want, _ := proto.Marshal(resp); !bytes.Equal(raw, want) {
			t.Errorf("%s: answer %x, proto.Marshal writes %x", name, raw, want)
		}
	}
	id := "jinn-test-" + randHex(8)
	std := []string{"-namespace", "k8s.io", "-address", "/run/x.sock", "-publish-binary", "/usr/bin/containerd", "-id", id, "-bundle", bundle}
	check("clean bundle", false, append(std, "delete")...)
	check("-debug, --flag=value", false, "-debug", "--namespace=k8s.io", "-id="+id, "--bundle", bundle, "delete")

	// The pod's socket still served (other tasks of the pod): left alone.
	sock := filepath.Join("/run/containerd/s", "jinn-test-"+randHex(8))
	os.MkdirAll(filepath.Dir(sock), 0o711)
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(sock)
	os.WriteFile(filepath.Join(bundle, "address"), []byte("unix://"+sock), 0o644)
	check("served socket", false, append(std, "delete")...)
	if _, err := os.Stat(sock); err != nil {
		t.Errorf("a served socket was removed: %v", err)
	}
	// Nobody serves it: Go removes it.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	check("dead socket", true, append(std, "delete")...)
	if _, err := os.Stat(sock); err == nil {
		t.Errorf("a dead socket was left")
	}
	os.Remove(filepath.Join(bundle, "address"))

	// A task's options left by a shim that died: Go cleans up.
	os.WriteFile(filepath.Join(bundle, "jinn-shim.json"), []byte(`{"root":"`+t.TempDir()+`"}`), 0o600)
	check("options left", true, append(std, "delete")...)
	// The same, locked by a live shim that deletes the task after its
	// Delete's answer (internal/shim, teardown.go): answered from C, and
	// the file left to its owner.
	os.WriteFile(filepath.Join(bundle, "jinn-shim.json"), []byte(`{"root":"`+t.TempDir()+`"}`), 0o600)
	lf, err := os.Open(filepath.Join(bundle, "jinn-shim.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	check("options locked by a live shim", false, append(std, "delete")...)
	if _, err := os.Stat(filepath.Join(bundle, "jinn-shim.json")); err != nil {
		t.Errorf("the locked options file was removed: %v", err)
	}
	// Go's delete (an unknown flag takes it there) leaves it too.
	check("options locked, Go's delete", true, append([]string{"-debug=true"}, append(std, "delete")...)...)
	if _, err := os.Stat(filepath.Join(bundle, "jinn-shim.json")); err != nil {
		t.Errorf("Go's delete removed the locked options file: %v", err)
	}
	lf.Close()
	os.Remove(filepath.Join(bundle, "jinn-shim.json"))

	// Bad or unknown flags: Go's own errors.
	if _, _, goStarted, err := run("-namespace", "k8s.io", "-id", id, "delete"); err == nil || !goStarted {
		t.Errorf("no -bundle: %v (Go started %v)", err, goStarted)
	}
	if _, _, goStarted, err := run("-namespace", "", "-id", id, "-bundle", bundle, "delete"); err == nil || !goStarted {
		t.Errorf("empty -namespace: %v (Go started %v)", err, goStarted)
	}
	check("an unknown flag", true, append([]string{"-debug=true"}, append(std, "delete")...)...)
}

// criShimRelease: a container deleted from a pod that goes on leaves the
// pod's shim with no descriptor more than before it was made (the rootfs
// that Delete detached, the init's mount namespace and the options file's
// lock are let go after the answer: teardown.go), its runtime state and
// cgroups go (the runtime's delete follows the answer too), and the same
// container made again in its place starts. Once the pod goes, nothing of
// it is left either (its shim exits only after its deletes are done).
func criShimRelease(t *testing.T, e *criEnv) {
	parent, pod, p := e.shimPod(t, "release")
	c := e.sleeper(p, pod)
	shim := shimPidOf(t, e.pid(c))
	e.crictlOK("rm", "-f", c)
	fds := func() int {
		ents, _ := os.ReadDir("/proc/" + strconv.Itoa(shim) + "/fd")
		return len(ents)
	}
	base := fds()
	deleted := []string{c}
	for i := 0; i < 3; i++ {
		c = e.sleeper(p, pod)
		e.crictlOK("stop", "-t", "0", c)
		e.crictlOK("rm", c)
		deleted = append(deleted, c)
	}
	waitFor(t, 10*time.Second, "the shim's descriptors back to "+strconv.Itoa(base), func() bool { return fds() <= base })
	b, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(b), c) {
		t.Errorf("a mount of %s is left", c)
	}
	state := filepath.Join(e.dir, "runtime", "jinn-shim", "k8s.io")
	for _, id := range deleted {
		if _, err := os.Stat(filepath.Join(state, id)); err == nil {
			t.Errorf("runtime state of deleted %s is left", id)
		}
		for _, d := range cgroupDirs(strings.TrimPrefix(parent, "/") + "/" + id) {
			t.Errorf("cgroup of deleted %s left: %s", id, d)
		}
	}
	e.crictlOK("rmp", "-f", p)
	waitFor(t, 10*time.Second, "the pod's shim to exit", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(shim))
		return err != nil
	})
	if _, err := os.Stat(filepath.Join(state, p)); err == nil {
		t.Errorf("runtime state of the removed pod's sandbox is left")
	}
	for _, d := range cgroupDirs(strings.TrimPrefix(parent, "/") + "/*") {
		t.Errorf("cgroup left: %s", d)
	}
}

// jinnShims lists the jinn-shim processes of the env's containerd.
func (e *criEnv) jinnShims() []int {
	return e.shimProcs(func(args []string, cwd string) bool { return true })
}

// spareShims lists the spare shims (spare.go) of the env's containerd's
// CRI namespace: those still waiting (their working directory is "/"),
// or with all, those that became a pod's shim too.
func (e *criEnv) spareShims(all bool) []int {
	return e.shimProcs(func(args []string, cwd string) bool {
		return args[len(args)-1] == "spare" && strings.Contains(strings.Join(args, "\x00"), "\x00k8s.io\x00") &&
			(all || cwd == "/")
	})
}

// shimProcs lists the jinn-shim processes of the env's containerd whose
// arguments and working directory match.
func (e *criEnv) shimProcs(match func(args []string, cwd string) bool) []int {
	var out []int
	procs, _ := os.ReadDir("/proc")
	for _, d := range procs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) < 3 || !strings.HasSuffix(args[0], "containerd-shim-jinn-v2") || !bytes.Contains(b, []byte("\x00"+e.sock+"\x00")) {
			continue
		}
		if cwd, _ := os.Readlink("/proc/" + d.Name() + "/cwd"); match(args, cwd) {
			out = append(out, pid)
		}
	}
	return out
}

// criShimSpare: once a pod's sandbox started, a spare shim waits; the next
// pod's shim is that spare (and only that pod's), which starts the next
// spare in turn. (TestCRIShim checks that none is left once containerd
// stops.)
func criShimSpare(t *testing.T, e *criEnv) {
	_, pod1, p1 := e.shimPod(t, "spare1")
	var spare int
	waitFor(t, 10*time.Second, "a spare shim", func() bool {
		s := e.spareShims(false)
		if len(s) == 1 {
			spare = s[0]
		}
		return len(s) == 1
	})
	_, pod2, p2 := e.shimPod(t, "spare2")
	if got := shimPidOf(t, e.podPid(p2)); got != spare {
		t.Errorf("the second pod's shim is %d, not the spare %d", got, spare)
	}
	if got := shimPidOf(t, e.podPid(p1)); got == spare {
		t.Errorf("the first pod's shim is the spare")
	}
	waitFor(t, 10*time.Second, "the next spare", func() bool {
		s := e.spareShims(false)
		return len(s) == 1 && s[0] != spare
	})
	// Both pods work: a container each, which ends with its pod.
	c1, c2 := e.sleeper(p1, pod1), e.sleeper(p2, pod2)
	if shimPidOf(t, e.pid(c2)) != spare || shimPidOf(t, e.pid(c1)) == spare {
		t.Errorf("containers in the wrong shims")
	}
	e.crictlOK("rmp", "-f", p1)
	e.crictlOK("rmp", "-f", p2)
	waitFor(t, 10*time.Second, "the second pod's shim to exit", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(spare))
		return err != nil
	})
}

// podPid is the pid of pod p's sandbox (its pause process).
func (e *criEnv) podPid(p string) int {
	var sandbox map[string]any
	json.Unmarshal([]byte(e.crictlOK("inspectp", p)), &sandbox)
	info, _ := sandbox["info"].(map[string]any)
	pid, _ := info["pid"].(float64)
	if pid == 0 {
		e.t.Fatalf("no pid for pod %s", p)
	}
	return int(pid)
}
