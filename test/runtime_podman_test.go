package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestRuntimePodman runs Podman from Debian with jinn-runtime as its OCI
// runtime, on the busybox fixture imported into a throwaway store.
func TestRuntimePodman(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman not installed")
	}
	dir := t.TempDir()
	store := []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"),
		"--storage-driver", "vfs", "--events-backend", "none"}
	podman := func(args ...string) (string, error) {
		out, err := exec.Command("podman", append(store, args...)...).CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { podman("system", "reset", "--force") })
	image := "localhost/jinn-runtime-busybox:test"
	imp := exec.Command("sh", append([]string{"-c", `r=$1; shift; tar -C "$r" -c . | podman "$@"`, "sh",
		busyboxRootfs()}, append(store, "import", "-", image)...)...)
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("import: %v: %s", err, out)
	}
	// Podman's cgroups go under jinn's parent like every cgroup jinn makes;
	// the test removes them (conmon's included) afterwards.
	parent := "/jinn/" + newID("podman")
	t.Cleanup(func() { removeCgroups(parent) })
	out, err := podman("--runtime", bin("jinn-runtime"), "--cgroup-manager", "cgroupfs",
		"run", "--rm", "--network", "none", "--cgroup-parent", parent,
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", image, "echo", "ok")
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("podman run: %v: %s", err, out)
	}
}

// removeCgroups removes a cgroup and its children on every hierarchy.
func removeCgroups(rel string) {
	hs, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, h := range hs {
		var dirs []string
		filepath.WalkDir(filepath.Join(h, rel), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
		for _, d := range dirs {
			os.Remove(d)
		}
	}
}
