package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRuntimeHooks(t *testing.T) {
	out := t.TempDir()
	os.Chmod(out, 0o777)
	hook := func(name string) specs.Hook {
		// Host hooks write straight to out; startContainer runs inside the
		// container, where out is bound at /hooks.
		dir := out
		if name == "startContainer" {
			dir = "/hooks"
		}
		return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "cat > " + dir + "/" + name + ".json"}}
	}
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "100"}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/hooks", Type: "bind", Source: out, Options: []string{"bind"}})
		s.Hooks = &specs.Hooks{
			Prestart:        []specs.Hook{hook("prestart")},
			CreateRuntime:   []specs.Hook{hook("createRuntime")},
			CreateContainer: []specs.Hook{hook("createContainer")},
			StartContainer:  []specs.Hook{hook("startContainer")},
			Poststart:       []specs.Hook{hook("poststart")},
			Poststop:        []specs.Hook{hook("poststop")},
		}
	})
	id := newID("hooks")
	e.must("create", id)
	for _, h := range []string{"prestart", "createRuntime", "createContainer"} {
		checkHook(t, out, h, id)
	}
	if _, err := os.Stat(filepath.Join(out, "startContainer.json")); err == nil {
		t.Fatal("startContainer ran before start")
	}
	e.must("start", id)
	checkHook(t, out, "startContainer", id)
	checkHook(t, out, "poststart", id)
	e.must("kill", id, "KILL")
	waitStatus(t, e, id, specs.StateStopped)
	e.must("delete", id)
	checkHook(t, out, "poststop", id)

	// A hook past its timeout fails create and leaves nothing behind.
	one := 1
	e.edit(func(s *specs.Spec) {
		s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sleep", Args: []string{"sleep", "10"}, Timeout: &one}}}
	})
	e.fails("timed out", "create", newID("hooktimeout"))
	if ents, _ := os.ReadDir(e.root); len(ents) != 0 {
		t.Fatalf("failed create left %v", ents)
	}
}

func checkHook(t *testing.T, dir, name, id string) {
	t.Helper()
	// startContainer runs in the init after start returns: give it time.
	var b []byte
	var err error
	for i := 0; i < 200; i++ {
		if b, err = os.ReadFile(filepath.Join(dir, name+".json")); err == nil && len(b) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("%s hook did not run: %v", name, err)
	}
	var st specs.State
	if err := json.Unmarshal(b, &st); err != nil || st.ID != id || st.Bundle == "" {
		t.Fatalf("%s hook got state %q: %v", name, b, err)
	}
	if name != "poststop" && st.Pid == 0 {
		t.Fatalf("%s hook got no pid: %s", name, b)
	}
}
