package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Every bad input fails with one line on stderr and leaves nothing: no
// state, no mount (checked by newRT's cleanup) and no process.
func TestRuntimeBadInput(t *testing.T) {
	e := newRT(t, nil)
	cfg := filepath.Join(e.bundle, "config.json")
	good, _ := os.ReadFile(cfg)
	before := countInits(t, e.root)

	os.WriteFile(cfg, []byte("{not json"), 0o644)
	e.fails("config.json", "create", newID("bad"))
	os.WriteFile(cfg, []byte(`{"ociVersion":"1.0.2","process":"sh","root":{"path":"rootfs"}}`), 0o644)
	e.fails("config.json", "create", newID("bad"))
	os.Remove(cfg)
	e.fails("config.json not found", "create", newID("bad"))
	os.WriteFile(cfg, good, 0o644)

	e.edit(func(s *specs.Spec) { s.Root.Path = "nosuchrootfs" })
	e.fails("rootfs", "run", newID("bad"))
	e.edit(func(s *specs.Spec) { s.Root.Path = "rootfs"; s.Process.Args = []string{"nosuchprog"} })
	e.fails("executable file not found", "run", newID("bad"))
	e.edit(func(s *specs.Spec) {
		s.Process.Args = []string{"true"}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/nonexistent/src", Options: []string{"bind"}})
	})
	e.fails("/nonexistent/src", "create", newID("bad"))
	e.edit(func(s *specs.Spec) { s.Mounts = s.Mounts[:len(s.Mounts)-1] })

	for _, id := range []string{"../x", "a/b", ".", "..", strings.Repeat("x", 1025), "sp ace"} {
		e.fails("invalid container id", "create", id)
	}
	e.fails("empty", "create", "")
	e.fails("requires exactly 1", "create")

	id := newID("dup")
	e.must("create", id)
	e.fails("already exists", "create", id)
	e.fails("unknown signal", "kill", id, "NOSUCHSIG")
	e.fails("unknown signal", "kill", id, "99")
	e.fails("does not exist", "state", newID("missing"))
	e.fails("does not exist", "start", newID("missing"))
	e.fails("does not exist", "kill", newID("missing"))
	e.fails("does not exist", "exec", newID("missing"), "true")
	// --systemd-cgroup is refused at create where systemd is not PID 1
	// (TestRuntimeSystemdCgroupWithoutSystemd); list works as under runc.
	e.must("--systemd-cgroup", "list")
	e.fails("log-format", "--log-format", "xml", "list")
	e.fails("format", "list", "--format", "yaml")
	e.must("delete", id)
	if err := os.WriteFile(filepath.Join(e.bundle, "config.json"), good, 0o644); err != nil {
		t.Fatal(err)
	}
	e.fails("exists", "spec", "--bundle", e.bundle)
	// Only this test's --root counts; a dying init may take a moment.
	for i := 0; countInits(t, e.root) != before; i++ {
		if i > 100 {
			t.Fatalf("%d container inits left running", countInits(t, e.root)-before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countInits counts the container inits of one --root (they hold its
// exec.fifo) still waiting before execve.
func countInits(t *testing.T, root string) int {
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		fds, _ := os.ReadDir("/proc/" + e.Name() + "/fd")
		for _, fd := range fds {
			if l, _ := os.Readlink("/proc/" + e.Name() + "/fd/" + fd.Name()); strings.HasPrefix(l, root) {
				n++
				break
			}
		}
	}
	return n
}
