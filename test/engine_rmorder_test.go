package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEngineRmKilledBeforeUnmount: an attached `run --rm` removes the
// container's records side by side with its root filesystem's unmount
// (which waits for an RCU grace period) and snapshot. A CLI killed with
// -9 after the records went and before the unmount leaves a state
// directory whose rootfs is still mounted, with neither container nor
// name: prune unmounts it and removes the snapshot, and the image can be
// removed. The store is put in that state by hand (a created --rm
// container has its rootfs mounted; its directory and name go as the
// removal takes them), so the point is hit every time.
func TestEngineRmKilledBeforeUnmount(t *testing.T) {
	j := newJinn(t, "")
	img := j.image()
	id := strings.TrimSpace(j.ok("create", "--rm", "--network", "none", "--name", "cut-short", img[0], "true"))
	rootfs := filepath.Join(j.runroot, "containers", id, "rootfs")
	if !mountedAt(t, rootfs) {
		t.Fatalf("create left no rootfs mounted at %s", rootfs)
	}
	// removeRecords, done: the directory renamed aside and removed, the
	// name released.
	if err := os.RemoveAll(filepath.Join(j.root, "containers", id)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(j.root, "names", "cut-short")); err != nil {
		t.Fatal(err)
	}
	if out := j.ok("ps", "-aq"); out != "" {
		t.Errorf("ps lists a container without its directory: %s", out)
	}
	j.ok("container", "prune", "-f")
	if mountedAt(t, rootfs) {
		t.Errorf("prune left the rootfs mounted at %s", rootfs)
	}
	if _, err := os.Stat(filepath.Join(j.runroot, "containers", id)); !os.IsNotExist(err) {
		t.Errorf("prune left the state directory: %v", err)
	}
	// The name is free again.
	j.ok("create", "--name", "cut-short", img[0], "true")
	j.ok("rm", "cut-short")
	assertSnapshotsGone(t, j, img[0])
}

// TestEngineRmRunningUnmounted: an attached `run --rm` unmounts the host's
// mount of the container's root filesystem once the container runs (its
// own mount namespace keeps the overlay), so that the unmount's grace
// period is not waited for after the exit. While it runs, the container
// sees its files, exec and cp (through /proc/PID/root) work; its CLI
// killed with -9 then leaves a running container whose monitor removes it
// at its exit, leaving no mount, state directory or snapshot.
func TestEngineRmRunningUnmounted(t *testing.T) {
	j := newJinn(t, "")
	img := j.image()
	c := j.cmd("run", "--rm", "--network", "none", "--name", "early-unmount", img[0], "sh", "-c", "sleep 2; cat /etc/hostname >/dev/null")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	var id string
	waitFor(t, 10*time.Second, "the container to run", func() bool {
		id = strings.TrimSpace(j.ok("ps", "-q", "--no-trunc", "-f", "name=early-unmount"))
		return id != ""
	})
	rootfs := filepath.Join(j.runroot, "containers", id, "rootfs")
	waitFor(t, 5*time.Second, "the host's rootfs mount to go", func() bool { return !mountedAt(t, rootfs) })
	if out := j.ok("exec", "-u", "nobody", "early-unmount", "cat", "/etc/passwd"); !strings.Contains(out, "root:") {
		t.Errorf("exec in the running container: %q", out)
	}
	if out := j.ok("cp", "early-unmount:/etc/passwd", "-"); !strings.Contains(out, "passwd") {
		t.Errorf("cp from the running container: %q", out)
	}
	c.Process.Kill()
	c.Wait()
	waitFor(t, 15*time.Second, "its monitor to remove it", func() bool { return j.ok("ps", "-aq") == "" })
	j.ok("container", "prune", "-f")
	if _, err := os.Stat(filepath.Join(j.runroot, "containers", id)); !os.IsNotExist(err) {
		t.Errorf("state directory left: %v", err)
	}
	if mountedAt(t, rootfs) {
		t.Errorf("rootfs mounted again at %s", rootfs)
	}
	assertSnapshotsGone(t, j, img[0])
}

// mountedAt says whether something is mounted at dir (in this namespace).
func mountedAt(t *testing.T, dir string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 4 && f[4] == dir {
			return true
		}
	}
	return false
}
