package test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A container made under `jinn --cgroup-parent P` keeps P: a later rm -f
// run without the flag, with the container's monitor and runtime state
// gone, still ends it through its cgroup and removes the cgroup and P.
func TestEngineCgroupParentRecorded(t *testing.T) {
	j := newJinn(t, "")
	parent := suite.cgroupParent + "/recorded"
	t.Cleanup(func() { // nothing of ours left if the test fails half-way
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*/" + parent)
		for _, d := range append(dirs, "/sys/fs/cgroup/"+parent) {
			syscall.Rmdir(d)
		}
	})
	id := j.ok(append(append([]string{"--cgroup-parent", parent, "run", "-d", "--network", "none"}, j.image()...), "sleep", "1000")...)
	id = id[:len(id)-1]
	had := j.owned(id)
	if had.pid == 0 || had.monitor == 0 {
		t.Fatalf("no pid (%d) or monitor (%d) for %s", had.pid, had.monitor, id)
	}
	cgs := cgroupDirs(parent + "/" + id)
	if len(cgs) == 0 {
		t.Fatalf("no cgroup %s/%s on any hierarchy", parent, id)
	}
	// Only the record and the cgroup know where the container is.
	j.unwatch(id, had)
	if got := j.inspect(id, "{{.State.Status}}"); got != "running" {
		t.Errorf("unwatched container in its cgroup: status %q, want running", got)
	}
	if out, errs, code := j.run("rm", "-f", id); code != 0 {
		t.Fatalf("rm -f without --cgroup-parent: exit %d: %s%s", code, out, errs)
	}
	for i := 0; i < 200 && alive(had.pid); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(had.pid) {
		t.Fatalf("container process %d left running", had.pid)
	}
	if left := cgroupDirs(parent + "/" + id); len(left) > 0 {
		t.Errorf("cgroups left: %v", left)
	}
	if left := cgroupDirs(parent); len(left) > 0 {
		t.Errorf("the parent it was made under left: %v", left)
	}
}

// An unwatched container whose runtime state is lost still stops: SIGKILL
// through its cgroup, at once (no runtime can deliver its stop signal).
func TestEngineStopUnwatched(t *testing.T) {
	j := newJinn(t, "")
	id := j.ok(append(append([]string{"run", "-d", "--name", "unwatched", "--network", "none"}, j.image()...), "sleep", "1000")...)
	id = id[:len(id)-1]
	had := j.owned(id)
	j.unwatch(id, had)
	start := time.Now()
	if out, errs, code := j.run("stop", id); code != 0 {
		t.Fatalf("stop: exit %d: %s%s", code, out, errs)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stop took %v", d)
	}
	for i := 0; i < 200 && alive(had.pid); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(had.pid) {
		t.Fatalf("container process %d left running", had.pid)
	}
	if got := j.inspect(id, "{{.State.Status}}"); got != "exited" {
		t.Errorf("after stop: status %q, want exited", got)
	}
	j.ok("rm", id)
	j.assertGone(id, "unwatched", had)
}

// unwatch takes a running container's monitor and runtime state away.
func (j *jinnEnv) unwatch(id string, had owned) {
	j.t.Helper()
	syscall.Kill(had.monitor, syscall.SIGKILL)
	for i := 0; i < 200 && alive(had.monitor); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	states, _ := filepath.Glob(filepath.Join(j.runroot, "runtime", "*", id))
	if len(states) == 0 {
		j.t.Fatalf("no runtime state for %s under %s", id, j.runroot)
	}
	for _, s := range states {
		os.RemoveAll(s)
	}
}

// cgroupDirs lists rel's directories on every cgroup hierarchy.
func cgroupDirs(rel string) []string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/" + rel)
	if st, err := os.Stat("/sys/fs/cgroup/" + rel); err == nil && st.IsDir() {
		dirs = append(dirs, "/sys/fs/cgroup/"+rel)
	}
	return dirs
}

// TestEngineKillUnwatched: kill reaches a container no runtime can signal
// any more (monitor dead, runtime state lost): another signal goes to its
// init (found in its cgroup), SIGKILL ends everything there.
func TestEngineKillUnwatched(t *testing.T) {
	j := newJinn(t, "")
	for _, sig := range []string{"USR1", "KILL"} {
		name := "unwatched-" + strings.ToLower(sig)
		id := j.ok(append(append([]string{"run", "-d", "--network", "none", "--name", name}, j.image()...),
			"sh", "-c", "trap 'exit 3' USR1; while :; do sleep 0.1; done")...)
		id = id[:len(id)-1]
		had := j.owned(id)
		j.unwatch(id, had)
		if got := j.inspect(id, "{{.State.Status}}"); got != "running" {
			t.Fatalf("%s: unwatched container is %q, want running", sig, got)
		}
		if out, errs, code := j.run("kill", "-s", sig, id); code != 0 {
			t.Fatalf("kill -s %s: exit %d: %s%s", sig, code, out, errs)
		}
		for i := 0; i < 300 && alive(had.pid); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if alive(had.pid) {
			t.Fatalf("kill -s %s: container process %d left running", sig, had.pid)
		}
		j.ok("rm", "-f", id)
		j.assertGone(id, name, had)
	}
}
