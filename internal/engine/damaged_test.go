package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// TestDamagedRecordsShown: each damaged record makes the container dead
// with a reason naming the record, and a container that ran shows as
// exited (255) once its run root is gone; nothing is hidden.
func TestDamagedRecordsShown(t *testing.T) {
	dir := t.TempDir()
	e, err := New(Config{Root: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run"), Runtime: "/bin/true", Self: "/bin/true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string) *Container {
		c := &Container{ID: strings.Repeat(name[:1], 64), Name: name, Runtime: "/bin/true"}
		os.MkdirAll(e.containerDir(c.ID), 0o700)
		os.MkdirAll(e.stateDir(c.ID), 0o700)
		if err := e.writeContainer(c); err != nil {
			t.Fatal(err)
		}
		if err := e.reserveName(name, c.ID); err != nil {
			t.Fatal(err)
		}
		return c
	}
	state := func(c *Container) string {
		v, err := e.inspect(c.Name)
		if err != nil {
			t.Fatalf("inspect %s: %v", c.Name, err)
		}
		return v.State.Status + "|" + v.State.Error
	}

	cfg := mk("config")
	os.WriteFile(filepath.Join(e.containerDir(cfg.ID), "config.json"), []byte(`{"id":"cc`), 0o600)
	if s := state(cfg); !strings.HasPrefix(s, "dead|config.json is damaged") {
		t.Errorf("garbled config: %q", s)
	}
	if v, _ := e.inspect(cfg.Name); v.Name != "config" || v.Snapshot != "jinn-"+cfg.ID {
		t.Errorf("identity not recovered: %+v", v.Container)
	}

	st := mk("state")
	monitor.WriteConfig(filepath.Join(e.stateDir(st.ID), monitor.ConfigFile), &monitor.Config{ID: st.ID})
	if s := state(st); s != "dead|engine state: state is missing" {
		t.Errorf("missing state of a started container: %q", s)
	}
	os.WriteFile(filepath.Join(e.stateDir(st.ID), monitor.StateFile), []byte("format 2\nstatus \"running\"\n"), 0o600)
	if s := state(st); !strings.HasPrefix(s, "dead|engine state: damaged state") {
		t.Errorf("truncated state: %q", s)
	}

	rt := mk("runtime")
	monitor.UpdateState(e.stateDir(rt.ID), func(s *monitor.State) { s.Status, s.ExitCode = "exited", 3 })
	if s := state(rt); s != "exited|" {
		t.Errorf("exited without runtime state: %q", s)
	}
	rdir := filepath.Join(e.runtimeRoot(rt.Runtime), rt.ID)
	os.MkdirAll(rdir, 0o700)
	os.WriteFile(filepath.Join(rdir, "state.json"), []byte("{\"id\":"), 0o600)
	if s := state(rt); !strings.HasPrefix(s, "dead|runtime state:") || !strings.Contains(s, "not valid JSON") {
		t.Errorf("garbled runtime state: %q", s)
	}

	ran := mk("xrebooted")
	e.markRan(ran)
	if v, _ := e.inspect(ran.Name); v.State.Status != "exited" || v.State.ExitCode != 255 || v.State.Error != "" {
		t.Errorf("ran, run root gone: %+v", v.State)
	}
	if s := state(mk("new")); s != "created|" {
		t.Errorf("never started: %q", s)
	}
	views, _ := e.list()
	if len(views) != 5 {
		t.Errorf("list shows %d containers, want 5", len(views))
	}
}
