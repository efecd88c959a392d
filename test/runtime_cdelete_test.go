package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// deletePlanXattr is where create leaves the C delete's plan
// (internal/runtime/deleteplan.go).
const deletePlanXattr = "trusted.jinn.delete"

// cDeleteEnv gives e's runtime a trace file the C delete
// (cmd/jinn-runtime/delete.c) appends the id of each delete it served to.
func cDeleteEnv(t *testing.T, e *rtEnv) func() []string {
	trace := filepath.Join(t.TempDir(), "trace")
	e.env = append(e.env, "JINN_DELETE_TRACE="+trace)
	return func() []string {
		b, _ := os.ReadFile(trace)
		return strings.Fields(string(b))
	}
}

// plan reads a container's delete plan; it skips where the state's file
// system keeps no trusted xattrs (the Go delete then serves every delete).
func plan(t *testing.T, e *rtEnv, id string) string {
	t.Helper()
	buf := make([]byte, 65536)
	n, err := unix.Getxattr(filepath.Join(e.root, id), deletePlanXattr, buf)
	if err != nil {
		t.Skipf("no delete plan on the state's file system (trusted xattrs): %v", err)
	}
	return string(buf[:n])
}

// exitedContainer creates and starts /bin/true and waits until it stopped.
func exitedContainer(t *testing.T, e *rtEnv, prefix string) string {
	t.Helper()
	id := newID(prefix)
	e.must("create", id)
	e.must("start", id)
	waitStatus(t, e, id, specs.StateStopped)
	return id
}

// planDirs lists the plan's lines of a kind ("rm", "own").
func planDirs(p, kind string) []string {
	var out []string
	for _, l := range strings.Split(p, "\n") {
		if d, ok := strings.CutPrefix(l, kind+" "); ok {
			out = append(out, d)
		}
	}
	return out
}

// goServed checks that the Go delete served every delete so far.
func goServed(t *testing.T, served func() []string) {
	t.Helper()
	if got := served(); len(got) != 0 {
		t.Errorf("the C delete served %v", got)
	}
}

// gone says whether pid has exited (a zombie not yet reaped has).
func gone(pid int) bool {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err != nil || strings.Contains(string(st), ") Z")
}

func assertDeleted(t *testing.T, e *rtEnv, id string, cgroups []string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(e.root, id)); !os.IsNotExist(err) {
		t.Errorf("state of %s left: %v", id, err)
	}
	for _, d := range cgroups {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("cgroup %s left: %v", d, err)
		}
	}
	e.fails("does not exist", "state", id)
}

// The common case, the delete after the init's exit (with and without
// --force, as the engine's monitor calls it), is served in C: the state,
// the cgroups and jinn's empty parents (a parent of the test's own, made
// for it) are gone, as after the Go delete; a second delete fails as it
// always did.
func TestRuntimeCDelete(t *testing.T) {
	e := newRT(t, nil)
	parent := os.Getenv(cgroupParentEnv) + "/cdel-" + newID("p")
	e.env = append(e.env, cgroupParentEnv+"="+parent)
	served := cDeleteEnv(t, e)
	for i, args := range [][]string{{"delete"}, {"delete", "--force"}, {"delete", "-f"}} {
		id := exitedContainer(t, e, "cdel")
		p := plan(t, e, id)
		cgs := append(planDirs(p, "rm"), planDirs(p, "own")...)
		if len(planDirs(p, "rm")) == 0 {
			t.Fatalf("plan without cgroups:\n%s", p)
		}
		e.must(append(args, id)...)
		if got := served(); len(got) != i+1 || got[i] != id {
			t.Fatalf("%v %s: the C delete served %v", args, id, got)
		}
		assertDeleted(t, e, id, cgs)
	}
	_, stderr, code := e.run("delete", "nosuch")
	if code != 1 || !strings.Contains(stderr, "container does not exist") {
		t.Errorf("delete of a missing container: exit %d, %q", code, stderr)
	}
	if got := served(); len(got) != 3 {
		t.Errorf("the C delete served %v, want 3 deletes", got)
	}
}

// Whatever the C delete does not expect goes to the Go delete, with the
// Go delete's results.
func TestRuntimeCDeleteFallsThrough(t *testing.T) {
	t.Run("poststop hooks", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "poststop")
		e := newRT(t, func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "cat > " + out}}}}
		})
		served := cDeleteEnv(t, e)
		id := exitedContainer(t, e, "cdelhook")
		e.must("delete", id)
		if !exists(out) {
			t.Error("the poststop hook did not run")
		}
		goServed(t, served)
		assertDeleted(t, e, id, nil)
	})
	t.Run("force kills", func(t *testing.T) {
		e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
		served := cDeleteEnv(t, e)
		id := newID("cdelforce")
		e.must("create", id)
		e.must("start", id)
		pid := e.state(id).Pid
		p := plan(t, e, id)
		e.fails("not stopped", "delete", id)
		e.must("delete", "--force", id)
		if !gone(pid) {
			t.Errorf("init %d survived delete --force", pid)
		}
		goServed(t, served)
		assertDeleted(t, e, id, planDirs(p, "rm"))
	})
	t.Run("created", func(t *testing.T) {
		e := newRT(t, nil)
		served := cDeleteEnv(t, e)
		id := newID("cdelcreated")
		e.must("create", id)
		pid := e.state(id).Pid
		e.must("delete", id)
		if !gone(pid) {
			t.Errorf("created init %d survived delete", pid)
		}
		goServed(t, served)
		assertDeleted(t, e, id, nil)
	})
	t.Run("stale plan", func(t *testing.T) {
		e := newRT(t, nil)
		served := cDeleteEnv(t, e)
		for _, bad := range []string{"jinn-delete 2\ninit 1 1\nend\n", "jinn-delete 1\ninit 1 1\n", "jinn-delete 1\ninit 1 1\nrmdir /x\nend\n", "garbage"} {
			id := exitedContainer(t, e, "cdelstale")
			p := plan(t, e, id)
			if err := unix.Setxattr(filepath.Join(e.root, id), deletePlanXattr, []byte(bad), 0); err != nil {
				t.Fatal(err)
			}
			e.must("delete", id)
			assertDeleted(t, e, id, planDirs(p, "rm"))
		}
		id := exitedContainer(t, e, "cdelnoplan")
		p := plan(t, e, id)
		unix.Removexattr(filepath.Join(e.root, id), deletePlanXattr)
		e.must("delete", id)
		assertDeleted(t, e, id, planDirs(p, "rm"))
		goServed(t, served)
	})
	// A live process under the plan's pid is the init only with the
	// plan's start time: another one (a reused pid) is not.
	t.Run("pid reuse", func(t *testing.T) {
		e := newRT(t, nil)
		served := cDeleteEnv(t, e)
		self := os.Getpid()
		st, err := os.ReadFile("/proc/self/stat")
		if err != nil {
			t.Fatal(err)
		}
		s := string(st)
		start := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])[19]
		for _, c := range []struct {
			start  string
			served bool
		}{{start, false}, {start + "1", true}} {
			id := exitedContainer(t, e, "cdelpid")
			p := plan(t, e, id)
			lines := strings.Split(p, "\n")
			lines[1] = "init " + strconv.Itoa(self) + " " + c.start
			dir := filepath.Join(e.root, id)
			if err := unix.Setxattr(dir, deletePlanXattr, []byte(strings.Join(lines, "\n")), 0); err != nil {
				t.Fatal(err)
			}
			before := len(served())
			e.must("delete", id)
			if got := len(served()) > before; got != c.served {
				t.Errorf("init start %s: served in C %v, want %v", c.start, got, c.served)
			}
			assertDeleted(t, e, id, planDirs(p, "rm"))
		}
	})
	// A cgroup that refuses rmdir (a child cgroup left in it) is the Go
	// delete's, which removes the tree.
	t.Run("busy cgroup", func(t *testing.T) {
		e := newRT(t, nil)
		served := cDeleteEnv(t, e)
		id := exitedContainer(t, e, "cdelbusy")
		p := plan(t, e, id)
		rm := planDirs(p, "rm")
		if err := os.Mkdir(filepath.Join(rm[len(rm)-1], "child"), 0o755); err != nil {
			t.Fatal(err)
		}
		e.must("delete", id)
		goServed(t, served)
		assertDeleted(t, e, id, rm)
	})
	// Flags the C delete does not know are Go's.
	t.Run("debug flag", func(t *testing.T) {
		e := newRT(t, nil)
		served := cDeleteEnv(t, e)
		id := exitedContainer(t, e, "cdeldebug")
		e.must("--debug", "delete", id)
		goServed(t, served)
		assertDeleted(t, e, id, nil)
	})
}
