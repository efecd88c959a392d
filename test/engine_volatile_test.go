package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEngineRmVolatile: a --rm container's writable layer is mounted with
// overlay's volatile (its unmount does not sync the host's file system) and
// its snapshot records are written without fsync; a container kept after
// exit gets neither. The CLI killed with -9 at any point of `run --rm` (the
// snapshot's info.json and index writes, the mount, the removal) leaves a
// store that rm -f and prune clean up whole: no container snapshot left in
// the index or on disk, and the image removable (no orphan child layer).
func TestEngineRmVolatile(t *testing.T) {
	j := newJinn(t, "")
	img := j.image()
	mountLine := func(args ...string) string {
		a := append(append([]string{"run"}, args...), img[0], "grep", " / ", "/proc/mounts")
		return j.ok(a...)
	}
	if out := mountLine("--rm", "--network", "none"); !strings.Contains(out, "volatile") {
		t.Errorf("--rm root mount without volatile: %s", out)
	}
	if out := mountLine("--network", "none"); strings.Contains(out, "volatile") {
		t.Errorf("a kept container's root mount is volatile: %s", out)
	}
	for _, delay := range []time.Duration{5, 15, 30, 45, 60, 80, 110, 150, 200, 300} {
		c := j.cmd(j.runArgs([]string{"--rm", "--network", "none"}, "true")...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		c.Process.Kill()
		c.Wait()
	}
	// Monitors of killed CLIs finish their containers' removal by themselves
	// or leave them to rm -f; either way they end.
	time.Sleep(500 * time.Millisecond)
	removeAll(t, j)
	var ix struct {
		Snapshots map[string]struct {
			Kind     string `json:"kind"`
			Volatile bool   `json:"volatile"`
		} `json:"snapshots"`
	}
	b, err := os.ReadFile(filepath.Join(j.root, "snapshots", "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ix); err != nil {
		t.Fatalf("snapshot index: %v: %s", err, b)
	}
	for k, s := range ix.Snapshots {
		if s.Kind != "committed" {
			t.Errorf("snapshot left in the index: %s (%s, volatile %v)", k, s.Kind, s.Volatile)
		}
	}
	// A container's snapshot is not in the index but named by a link.
	assertSnapshotsGone(t, j, img[0])
}

// TestEngineCreateKill9: `create` (a kept container: its snapshot's record
// is synced) killed with -9 at points through its snapshot's making (the
// directory, info.json, the link in snapshots/active) leaves a store
// where every container listed starts or is removed by rm -f, and rm -f,
// prune and rmi leave no snapshot directory, no link and no index entry.
func TestEngineCreateKill9(t *testing.T) {
	j := newJinn(t, "")
	img := j.image()
	for _, delay := range []time.Duration{5, 8, 10, 12, 14, 16, 18, 20, 22, 25, 28, 32, 40, 50, 70, 100} {
		c := j.cmd("create", "--network", "none", img[0], "true")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		c.Process.Kill()
		c.Wait()
	}
	// A container whose create finished runs; the others are removable.
	for _, id := range strings.Fields(j.ok("ps", "-aq", "--no-trunc")) {
		if _, _, code := j.run("start", "-a", id); code != 0 {
			t.Logf("%s: start after a killed create: exit %d (removed below)", id[:12], code)
		}
	}
	removeAll(t, j)
	assertSnapshotsGone(t, j, img[0])
}

// removeAll removes every container with rm -f and prune, and checks
// that none is left.
func removeAll(t *testing.T, j *jinnEnv) {
	t.Helper()
	if ids := strings.Fields(j.ok("ps", "-aq", "--no-trunc")); len(ids) > 0 {
		j.ok(append([]string{"rm", "-f", "-v"}, ids...)...)
	}
	j.ok("container", "prune", "-f")
	if out := j.ok("ps", "-aq"); out != "" {
		t.Errorf("containers after rm -f and prune: %s", out)
	}
}

// assertSnapshotsGone checks that no container's snapshot is left (no
// link in snapshots/active), then that removing the image leaves no
// snapshot directory.
func assertSnapshotsGone(t *testing.T, j *jinnEnv, img string) {
	t.Helper()
	if links, _ := os.ReadDir(filepath.Join(j.root, "snapshots", "active")); len(links) > 0 {
		t.Errorf("active snapshot links left: %v", links)
	}
	j.ok("rmi", img)
	j.ok("image", "prune", "-a", "-f")
	ents, _ := os.ReadDir(filepath.Join(j.root, "snapshots"))
	for _, e := range ents {
		if e.IsDir() && e.Name() != "active" {
			t.Errorf("snapshot directory left: %s", e.Name())
		}
	}
}
