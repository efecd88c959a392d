package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestRuntimePodman runs Podman from Debian with jinn-runtime as its OCI
// runtime, on the busybox fixture imported into a throwaway store.
func TestRuntimePodman(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman not installed")
	}
	dir := podmanDir(t)
	store := []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"),
		"--tmpdir", filepath.Join(dir, "tmp"), "--storage-driver", "vfs", "--events-backend", "none"}
	// File locks in our tmpdir: the default SHM lock table is shared by
	// every podman on the host.
	conf := filepath.Join(dir, "containers.conf")
	os.WriteFile(conf, []byte("[engine]\nlock_type = \"file\"\n"), 0o644)
	env := append(os.Environ(), "CONTAINERS_CONF="+conf)
	podman := func(args ...string) (string, error) {
		c := exec.Command("podman", append(store, args...)...)
		c.Env = env
		out, err := c.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { podman("system", "reset", "--force") })
	image := "localhost/jinn-runtime-busybox:test"
	imp := exec.Command("sh", append([]string{"-c", `r=$1; shift; tar -C "$r" -c . | podman "$@"`, "sh",
		busyboxRootfs()}, append(store, "import", "-", image)...)...)
	imp.Env = env
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("import: %v: %s", err, out)
	}
	// Podman's cgroups go under jinn's parent like every cgroup jinn makes;
	// the test removes them (conmon's included) afterwards.
	parent := "/" + suite.cgroupParent + "/" + newID("podman")
	t.Cleanup(func() { removeCgroups(parent) })
	rt := []string{"--runtime", bin("jinn-runtime"), "--cgroup-manager", "cgroupfs"}
	run := append(append([]string{}, rt...), "run", "--network", "none", "--cgroup-parent", parent,
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")
	out, err := podman(append(run, "--rm", image, "echo", "ok")...)
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("podman run: %v: %s", err, out)
	}
	// A terminal (the pty master through conmon's console socket), a
	// detached container, exec into it, stop and rm.
	if out, err := podman(append(run, "--rm", "-t", image, "sh", "-c", "tty")...); err != nil || !strings.Contains(out, "/dev/pts/0") {
		t.Fatalf("podman run -t: %v: %q", err, out)
	}
	if out, err := podman(append(run, "-d", "--name", "sleeper", image, "sleep", "100")...); err != nil {
		t.Fatalf("podman run -d: %v: %s", err, out)
	}
	if out, err := podman(append(rt, "exec", "sleeper", "sh", "-c", "echo exec-ok")...); err != nil || strings.TrimSpace(out) != "exec-ok" {
		t.Fatalf("podman exec: %v: %s", err, out)
	}
	if out, err := podman(append(rt, "rm", "-f", "-t", "0", "sleeper")...); err != nil {
		t.Fatalf("podman rm -f: %v: %s", err, out)
	}
}

// removeCgroups removes a cgroup and its children on every hierarchy,
// retrying while a process (conmon on its way out) still holds one, and
// then the suite's parent where nothing else is left in it.
func removeCgroups(rel string) {
	for i := 0; i < 100 && removeCgroupsOnce(rel) > 0; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	for _, p := range suiteCgroups() {
		os.Remove(p)
	}
}

func removeCgroupsOnce(rel string) int {
	left := 0
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
			if os.Remove(d) != nil {
				left++
			}
		}
	}
	return left
}
