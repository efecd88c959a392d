package cgroups

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tests in this file run on the host's real cgroups, as root, under a
// parent of this test binary's own (never jinn's, which a user's containers
// may be in); each removes what it makes, the parent included.
var testParent = func() string {
	b := make([]byte, 4)
	rand.Read(b)
	return "jinn-unittest-" + hex.EncodeToString(b)
}()

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func testName(t *testing.T) string {
	b := make([]byte, 4)
	rand.Read(b)
	return "cgroups-test-" + hex.EncodeToString(b)
}

// newReal makes a Manager for a fresh cgroup and destroys it at the end.
func newReal(t *testing.T) Manager {
	t.Helper()
	needRoot(t)
	m, err := New(Config{Name: testName(t), Parent: testParent})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Destroy(); err != nil {
			t.Errorf("destroy: %v", err)
		}
		if m.Exists() {
			t.Errorf("cgroup %s left behind", m.Path())
		}
	})
	return m
}

// startIn starts a shell command and moves it into m before it runs on:
// the shell waits for a line on stdin first.
func startIn(t *testing.T, m Manager, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "read x; "+script)
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("go\n"))
	return cmd
}

func TestRealLifecycle(t *testing.T) {
	m := newReal(t)
	if !strings.HasPrefix(m.Path(), testParent+"/cgroups-test-") {
		t.Fatalf("path %q", m.Path())
	}
	cmd := startIn(t, m, "sleep 100 & sleep 100 & wait")
	time.Sleep(100 * time.Millisecond)
	pids, err := m.Pids()
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 3 {
		t.Fatalf("pids %v, want the shell and two sleeps", pids)
	}
	l, _ := DetectLayout()
	for c, mnt := range l.V1 {
		if _, err := os.Stat(filepath.Join(mnt, m.Path())); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
	if l.Unified != "" {
		b, _ := os.ReadFile(filepath.Join(l.Unified, m.Path(), "cgroup.procs"))
		if len(strings.Fields(string(b))) != 3 {
			t.Errorf("unified cgroup.procs %q", b)
		}
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if f, _ := m.Frozen(); !f {
		t.Error("not frozen after Freeze")
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if f, _ := m.Frozen(); f {
		t.Error("frozen after Thaw")
	}
	// Destroy with the processes still running: it must kill them.
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("shell survived Destroy")
	}
	if m.Exists() {
		t.Error("cgroup exists after Destroy")
	}
}

func TestRealKillWhilePaused(t *testing.T) {
	m := newReal(t)
	cmd := startIn(t, m, "while :; do sleep 1; done")
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("paused process survived Kill")
	}
}

func TestRealOOMScore(t *testing.T) {
	needRoot(t)
	old, err := Protect()
	if err != nil && err != ErrCannotProtect {
		t.Fatal(err)
	}
	now, _ := OOMScoreAdj(0)
	if err == nil && now != ProtectScore {
		t.Errorf("oom_score_adj %d after Protect", now)
	}
	if err == ErrCannotProtect && now != old {
		t.Errorf("oom_score_adj changed to %d though Protect failed", now)
	}
	t.Logf("Protect: old %d now %d err %v", old, now, err)
}
