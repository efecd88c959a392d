package test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// storeArgs are the global flags of a test's store at root: its runtime
// state goes below it too, never to jinn's default /run/jinn.
func storeArgs(root string) []string {
	trackRoot(root)
	return []string{"--root", root, "--runroot", filepath.Join(root, "run")}
}

// jinnCmd runs bin/jinn with its own --root and returns stdout; it fails the
// test on a non-zero exit unless wantErr.
func jinnCmd(t *testing.T, root string, stdin []byte, wantErr bool, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(bin("jinn"), append(storeArgs(root), args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	if wantErr && err == nil {
		t.Fatalf("jinn %s: succeeded, want an error\n%s", strings.Join(args, " "), out.String())
	}
	if !wantErr && err != nil {
		t.Fatalf("jinn %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

func jinnOK(t *testing.T, root string, args ...string) string {
	t.Helper()
	out, _ := jinnCmd(t, root, nil, false, args...)
	return out
}

var fixtureMu sync.Mutex

// imageFixture returns the docker-archive of a fixture image (busybox,
// nginx, redis), made once by the hack/ scripts and cached.
func imageFixture(t *testing.T, name string) string {
	t.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	out := filepath.Join(fixturesDir, "images", name+".tar")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	script, args := "../hack/mkimage-busybox.sh", []string{out}
	if name != "busybox" {
		script, args = "../hack/mkimage-debian-app.sh", []string{name, out}
	}
	cmd := exec.Command(script, args...)
	cmd.Env = append(os.Environ(), "JINN_FIXTURES="+fixturesDir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s image: %v\n%s", name, err, b)
	}
	return out
}

// blobCount counts the blobs and snapshots in a jinn root.
func storeCounts(t *testing.T, root string) (blobs, snaps int) {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(root, "image", "blobs", "sha256"))
	sn, _ := os.ReadDir(filepath.Join(root, "snapshots"))
	for _, e := range sn {
		if e.IsDir() && e.Name() != "active" { // active/ holds the links of active snapshots
			snaps++
		}
	}
	links, _ := os.ReadDir(filepath.Join(root, "snapshots", "active"))
	snaps += len(links)
	return len(ents), snaps
}

// jinnAny runs bin/jinn with its own --root whatever its exit status and
// returns stdout and stderr together.
func jinnAny(t *testing.T, root string, args ...string) string {
	t.Helper()
	out, _ := exec.Command(bin("jinn"), append(storeArgs(root), args...)...).CombinedOutput()
	return string(out)
}

// unmountUnder registers a cleanup that lazily unmounts anything left
// mounted below dir (container rootfs or netns of a failed teardown), so a
// test never leaks mounts whatever the engine did.
func unmountUnder(t *testing.T, dir string) {
	t.Cleanup(func() {
		// The default bridge outlives its containers until a prune.
		exec.Command(bin("jinn"), append(storeArgs(dir), "network", "prune", "-f")...).Run()
		b, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			return
		}
		var mps []string
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
				mps = append(mps, f[4])
			}
		}
		for i := len(mps) - 1; i >= 0; i-- {
			syscall.Unmount(mps[i], syscall.MNT_DETACH)
		}
	})
}
