package test

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// CVE-2021-30465: a mount target's parent is swapped for a symlink while the
// runtime sets up mounts, so that a path checked inside the rootfs is
// mounted (or made) outside it. A racer swaps rootfs/race between a
// directory and a symlink to a host directory while containers start; the
// host directory must stay untouched, and every container must see the
// volume inside its own root or fail cleanly.
func TestSecurityMountTargetSymlinkSwap(t *testing.T) {
	hostDir := filepath.Join(t.TempDir(), "host")
	os.MkdirAll(hostDir, 0o755)
	vol := filepath.Join(t.TempDir(), "vol")
	os.MkdirAll(vol, 0o755)
	os.WriteFile(filepath.Join(vol, "marker"), []byte("volume\n"), 0o644)
	e := newSec(t, func(s *specs.Spec) {
		s.Root.Readonly = false
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/race/a/mnt", Type: "bind", Source: vol, Options: []string{"bind", "ro"}})
		s.Process.Args = []string{"sh", "-c", "ls / | tr '\\n' ,; echo; cat /race/a/mnt/marker 2>/dev/null; true"}
	})
	race := filepath.Join(e.rootfs, "race")
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		tmp := race + ".swap"
		for !stop.Load() {
			// dir -> symlink -> dir, each step a rename so the path always exists.
			os.RemoveAll(tmp)
			os.Symlink(hostDir, tmp)
			os.Rename(tmp, race)
			os.RemoveAll(tmp)
			os.MkdirAll(filepath.Join(tmp, "a"), 0o755)
			os.RemoveAll(race)
			os.Rename(tmp, race)
		}
	}()
	ok, failed := 0, 0
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		out, stderr, code := e.run("run", secID("swap"))
		if code != 0 {
			failed++
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("error is not one line: %q", stderr)
			}
			continue
		}
		ok++
		// The racer keeps replacing /race after start too, so the volume
		// may be gone from view; the root must be the container's.
		if !strings.Contains(out, "bin,") || strings.Contains(out, "work,") {
			t.Errorf("container saw:\n%s", out)
		}
	}
	stop.Store(true)
	<-done
	t.Logf("%d runs started, %d failed cleanly", ok, failed)
	if ents, _ := os.ReadDir(hostDir); len(ents) > 0 {
		t.Errorf("ESCAPE: the runtime made %v in the host directory the symlink pointed to", ents)
	}
	if m, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(m), hostDir) {
		t.Errorf("ESCAPE: a mount on the host directory")
	}
	// Static: the symlink stays; the volume lands inside the rootfs.
	os.RemoveAll(race)
	os.Symlink(hostDir, race)
	out := e.must("run", secID("swap"))
	if !strings.Contains(out, "volume") {
		t.Errorf("static symlink: %s", out)
	}
	if ents, _ := os.ReadDir(hostDir); len(ents) > 0 {
		t.Errorf("ESCAPE: static symlink made %v on the host", ents)
	}
}
