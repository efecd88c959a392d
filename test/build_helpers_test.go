package test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jinn-containers/jinn/internal/image"
)

// buildEnv is one test's private jinn store and runtime state.
type buildEnv struct {
	t       *testing.T
	root    string
	runroot string
}

// newBuildEnv makes a store holding a "busybox" image built from the
// fixture root filesystem (FROM scratch + ADD of its tarball).
func newBuildEnv(t *testing.T) *buildEnv {
	t.Helper()
	dir := t.TempDir()
	e := &buildEnv{t: t, root: filepath.Join(dir, "root"), runroot: filepath.Join(dir, "run")}
	trackRoot(e.root)
	bb := filepath.Join(dir, "bbctx")
	os.MkdirAll(bb, 0o755)
	if out, err := exec.Command("tar", "-C", busyboxRootfs(), "-cf", filepath.Join(bb, "rootfs.tar"), ".").CombinedOutput(); err != nil {
		t.Fatalf("tar fixture: %v: %s", err, out)
	}
	writeFiles(t, bb, map[string]string{"Dockerfile": "FROM scratch\nADD rootfs.tar /\nCMD [\"sh\"]\n"})
	if out, err := e.build("-q", "-t", "busybox", bb); err != nil {
		t.Fatalf("build busybox base: %v\n%s", err, out)
	}
	t.Cleanup(e.checkClean)
	return e
}

// build runs `jinn build` and returns its combined output.
func (e *buildEnv) build(args ...string) (string, error) {
	return e.buildStdin(nil, args...)
}

func (e *buildEnv) buildStdin(stdin []byte, args ...string) (string, error) {
	cmd := exec.Command(bin("jinn"), append([]string{"--root", e.root, "--runroot", e.runroot, "build"}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (e *buildEnv) mustBuild(args ...string) string {
	e.t.Helper()
	out, err := e.build(args...)
	if err != nil {
		e.t.Fatalf("jinn build %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// image reads an image from the store as the engine would.
func (e *buildEnv) image(ref string) *image.Image {
	e.t.Helper()
	s, err := image.Open(e.root)
	if err != nil {
		e.t.Fatal(err)
	}
	img, err := s.Get(ref)
	if err != nil {
		e.t.Fatalf("get %s: %v", ref, err)
	}
	return img
}

func (e *buildEnv) hasImage(ref string) bool {
	s, err := image.Open(e.root)
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = s.Get(ref)
	return err == nil
}

// runIn runs a command in a container of img by building on top of it: the
// output of the RUN is what the command printed.
func (e *buildEnv) runIn(ref string, argv ...string) string {
	e.t.Helper()
	dir := e.t.TempDir()
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = `"` + strings.ReplaceAll(a, `"`, `\"`) + `"`
	}
	writeFiles(e.t, dir, map[string]string{"Dockerfile": "FROM " + ref + "\nRUN [" + strings.Join(q, ",") + "]\n"})
	return e.mustBuild("--no-cache", "--progress", "plain", dir)
}

// checkClean asserts a test left no mounts, containers or step snapshots.
func (e *buildEnv) checkClean() {
	// A `jinn run` on the default bridge leaves it up until a prune.
	exec.Command(bin("jinn"), "--root", e.root, "--runroot", e.runroot, "network", "prune", "-f").Run()
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), e.root) {
		e.t.Errorf("mounts left under %s", e.root)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.runroot, "build")); len(ents) > 0 {
		e.t.Errorf("runtime state left: %v", ents)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.root, "build", "tmp")); len(ents) > 0 {
		e.t.Errorf("temporary build dirs left: %v", ents)
	}
	if s, err := image.Open(e.root); err == nil {
		infos, _ := s.Snapshots().List()
		for _, i := range infos {
			if strings.HasPrefix(i.Key, "build-") {
				e.t.Errorf("step snapshot left: %s", i.Key)
			}
		}
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
