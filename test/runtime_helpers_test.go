package test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// rtEnv is one test's jinn-runtime: its own --root and bundle.
type rtEnv struct {
	t      *testing.T
	root   string // --root
	bundle string
	rootfs string
	bin    string   // the runtime: jinn-runtime by default
	flags  []string // global flags before --root
	env    []string // added to the runtime's environment
}

func newRT(t *testing.T, mutate func(*specs.Spec)) *rtEnv {
	t.Helper()
	return newRTWith(t, "jinn-runtime", mutate)
}

// newRTWith is newRT for another OCI runtime (runc, crun): the same test
// run against runc proves the test right before it judges jinn.
func newRTWith(t *testing.T, runtime string, mutate func(*specs.Spec)) *rtEnv {
	t.Helper()
	dir := t.TempDir()
	e := &rtEnv{t: t, root: filepath.Join(dir, "state"), bundle: filepath.Join(dir, "bundle"), bin: bin("jinn-runtime")}
	if runtime != "jinn-runtime" {
		p, err := exec.LookPath(runtime)
		if err != nil {
			t.Skipf("%s is not installed", runtime)
		}
		e.bin = p
	}
	if err := os.MkdirAll(e.bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	e.rootfs = filepath.Join(e.bundle, "rootfs")
	if out, err := exec.Command("cp", "-a", busyboxRootfs(), e.rootfs).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v: %s", err, out)
	}
	if _, stderr, code := e.run("spec", "--bundle", e.bundle); code != 0 {
		t.Fatalf("spec: %s", stderr)
	}
	e.edit(func(s *specs.Spec) {
		s.Process.Terminal = false
		s.Process.Args = []string{"/bin/true"}
		if mutate != nil {
			mutate(s)
		}
	})
	t.Cleanup(e.cleanup)
	return e
}

// edit rewrites the bundle's config.json.
func (e *rtEnv) edit(f func(*specs.Spec)) {
	e.t.Helper()
	p := filepath.Join(e.bundle, "config.json")
	b, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		e.t.Fatal(err)
	}
	f(&s)
	if b, err = json.Marshal(&s); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// cleanup force-deletes whatever the test left and fails if anything of the
// runtime's is still there.
func (e *rtEnv) cleanup() {
	out, _, _ := e.run("list", "-q")
	for _, id := range strings.Fields(out) {
		e.run("delete", "--force", id)
	}
	ents, _ := os.ReadDir(e.root)
	if len(ents) > 0 {
		e.t.Errorf("state left under --root: %v", ents)
	}
	if m, _ := os.ReadFile("/proc/self/mountinfo"); bytes.Contains(m, []byte(e.bundle)) {
		e.t.Errorf("mounts left under %s", e.bundle)
	}
}

func newID(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return "runtime-" + prefix + "-" + hex.EncodeToString(b)
}

// cmd builds a jinn-runtime command with --root.
func (e *rtEnv) cmd(args ...string) *exec.Cmd {
	c := exec.Command(e.bin, append(append(append([]string{}, e.flags...), "--root", e.root), args...)...)
	c.Dir = e.bundle
	if len(e.env) > 0 {
		c.Env = append(os.Environ(), e.env...)
	}
	return c
}

// run runs jinn-runtime and returns stdout, stderr and the exit code.
func (e *rtEnv) run(args ...string) (string, string, int) {
	// Files, not pipes: a detached container keeps the runtime's stdio,
	// and a pipe would not see EOF until the container exits.
	c := e.cmd(args...)
	outf, _ := os.CreateTemp(e.t.TempDir(), "stdout")
	errf, _ := os.CreateTemp(e.t.TempDir(), "stderr")
	defer outf.Close()
	defer errf.Close()
	c.Stdout, c.Stderr = outf, errf
	err := c.Run()
	out, _ := os.ReadFile(outf.Name())
	errb, _ := os.ReadFile(errf.Name())
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("%s %v: %v", e.bin, args, err)
	}
	return string(out), string(errb), code
}

// must runs jinn-runtime and fails the test unless it exits 0.
func (e *rtEnv) must(args ...string) string {
	e.t.Helper()
	out, stderr, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("%s %v: exit %d: %s", filepath.Base(e.bin), args, code, stderr)
	}
	return out
}

// sh runs a shell script as the container's process and returns its output.
func (e *rtEnv) sh(script string) string {
	e.t.Helper()
	e.edit(func(s *specs.Spec) { s.Process.Args = []string{"sh", "-c", script} })
	return e.must("run", newID("sh"))
}

func (e *rtEnv) state(id string) specs.State {
	e.t.Helper()
	var s specs.State
	if err := json.Unmarshal([]byte(e.must("state", id)), &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// fails asserts a command fails with a one-line error containing want.
func (e *rtEnv) fails(want string, args ...string) {
	e.t.Helper()
	_, stderr, code := e.run(args...)
	if code == 0 {
		e.t.Fatalf("%s %v: succeeded, want failure %q", filepath.Base(e.bin), args, want)
	}
	if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; lines != 1 || !strings.Contains(stderr, want) {
		e.t.Fatalf("%s %v: stderr %q, want one line containing %q", filepath.Base(e.bin), args, stderr, want)
	}
}
