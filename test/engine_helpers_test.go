package test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jinnEnv is one test's engine: its own --root and --runroot, one runtime.
type jinnEnv struct {
	t       *testing.T
	root    string
	runroot string
	runtime string
	rootfs  string
	loaded  bool
	// mntns is the pid of a process holding the private mount namespace
	// that crun runs in (see crunNamespace); 0 for the host's.
	mntns int
	// bin is another build's directory of binaries ("": $JINN_BIN's).
	bin string
}

// engineRuntimes are the OCI runtimes the core engine tests run against:
// jinn's own (the default), runc and crun when installed;
// JINN_ENGINE_RUNTIMES overrides.
func engineRuntimes() []string {
	rts := []string{"jinn-runtime", "runc"}
	if _, err := exec.LookPath("crun"); err == nil {
		rts = append(rts, "crun")
	}
	if v := os.Getenv("JINN_ENGINE_RUNTIMES"); v != "" {
		rts = strings.Split(v, ",")
	}
	return rts
}

func newJinn(t *testing.T, runtime string) *jinnEnv {
	t.Helper()
	dir := t.TempDir()
	j := &jinnEnv{t: t, root: filepath.Join(dir, "root"), runroot: filepath.Join(dir, "run"), runtime: runtime}
	if runtime == "crun" {
		j.mntns = crunNamespace(t)
	}
	trackRoot(j.root)
	t.Cleanup(j.cleanup)
	return j
}

// crunNamespace starts a process holding a private mount namespace
// without /sys/fs/cgroup/unified and returns its pid. crun refuses this
// hybrid host (a cgroup2 mount with no controllers beside the v1 ones),
// so the engine and crun run in that namespace, which lives on as long as
// a monitor or the holder is in it; everything else is the host's.
func crunNamespace(t *testing.T) int {
	t.Helper()
	c := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c",
		"umount /sys/fs/cgroup/unified 2>/dev/null; echo ready; exec sleep 3600")
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("start crun's mount namespace: %v", err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("crun's mount namespace: %q %v", buf, err)
	}
	return c.Process.Pid
}

// image returns the args that name the busybox image to run: the image
// fixture (hack/mkimage-busybox.sh) loaded into this test's store.
func (j *jinnEnv) image() []string {
	j.t.Helper()
	if !j.loaded {
		tar := filepath.Join(fixturesDir, "images", "busybox.tar")
		if _, err := os.Stat(tar); err != nil {
			if out, err := exec.Command("../hack/mkimage-busybox.sh", tar).CombinedOutput(); err != nil {
				j.t.Fatalf("make busybox image: %v: %s", err, out)
			}
		}
		j.ok("load", "-q", "-i", tar)
		j.loaded = true
	}
	return []string{"busybox"}
}

// rootfsArgs runs from a private copy of the busybox directory (--rootfs).
func (j *jinnEnv) rootfsArgs() []string {
	if j.rootfs == "" {
		j.rootfs = copyRootfs(j.t)
	}
	return []string{"--rootfs", j.rootfs}
}

func (j *jinnEnv) cmd(args ...string) *exec.Cmd {
	a := []string{"--root", j.root, "--runroot", j.runroot}
	if j.runtime != "" {
		a = append(a, "--runtime", j.runtime)
	}
	jinn := bin("jinn")
	if j.bin != "" {
		jinn = filepath.Join(j.bin, "jinn")
	}
	if j.mntns != 0 {
		a = append([]string{fmt.Sprintf("--mount=/proc/%d/ns/mnt", j.mntns), "--", jinn}, a...)
		return exec.Command("nsenter", append(a, args...)...)
	}
	return exec.Command(jinn, append(a, args...)...)
}

// run runs jinn and returns stdout, stderr and the exit code.
func (j *jinnEnv) run(args ...string) (string, string, int) {
	j.t.Helper()
	c := j.cmd(args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		j.t.Fatalf("jinn %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// ok runs jinn and fails the test unless it exits 0.
func (j *jinnEnv) ok(args ...string) string {
	j.t.Helper()
	out, errs, code := j.run(args...)
	if code != 0 {
		j.t.Fatalf("jinn %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// runArgs builds `run FLAGS... IMAGE CMD...`.
func (j *jinnEnv) runArgs(flags []string, cmd ...string) []string {
	a := append([]string{"run"}, flags...)
	a = append(a, j.image()...)
	return append(a, cmd...)
}

func (j *jinnEnv) inspect(ref, format string) string {
	j.t.Helper()
	return strings.TrimSpace(j.ok("inspect", "-f", format, ref))
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cleanup removes every container and checks nothing is left behind:
// mounts, network namespaces, cgroups, state directories.
func (j *jinnEnv) cleanup() {
	out, _, _ := j.run("ps", "-aq", "--no-trunc")
	ids := strings.Fields(out)
	if len(ids) > 0 {
		j.run(append([]string{"rm", "-f", "-v"}, ids...)...)
	}
	j.run("system", "prune", "-f")
	j.assertClean(ids)
}

func (j *jinnEnv) assertClean(ids []string) {
	t := j.t
	mountinfo := "/proc/self/mountinfo"
	if j.mntns != 0 {
		mountinfo = fmt.Sprintf("/proc/%d/mountinfo", j.mntns)
	}
	mounts, _ := os.ReadFile(mountinfo)
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, j.runroot) || strings.Contains(line, j.root) {
			t.Errorf("mount left behind: %s", line)
		}
	}
	for _, id := range ids {
		if _, err := os.Stat(cgroupPath("memory", id)); err == nil {
			t.Errorf("cgroup left behind: %s", cgroupPath("memory", id))
		}
	}
	ents, _ := os.ReadDir(filepath.Join(j.runroot, "containers"))
	for _, e := range ents {
		t.Errorf("state left behind: %s", e.Name())
	}
	// With its last container gone, the parent cgroup goes too, on every
	// hierarchy, whichever runtime made it (the suite's tests run one at a
	// time, and only the suite's containers are under its parent).
	for _, p := range suiteCgroups() {
		t.Errorf("parent cgroup left behind: %s", p)
	}
}

// monitorPid finds the monitor of a container by its command line.
func monitorPid(t *testing.T, id string) int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		s := string(b)
		if strings.Contains(s, "jinn-monitor") && strings.Contains(s, id) {
			var pid int
			if _, err := fmtSscan(e.Name(), &pid); err == nil {
				return pid
			}
		}
	}
	return 0
}
