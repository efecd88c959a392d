package ocicli

import (
	"slices"
	"testing"
)

// TestCommandTable: each constructor makes the command its entry names,
// and the whole tree has no command beside them.
func TestCommandTable(t *testing.T) {
	var names []string
	for _, c := range commands {
		if got := c.make(&Global{}).Name(); got != c.name {
			t.Errorf("commands entry %q makes %q", c.name, got)
		}
		names = append(names, c.name)
	}
	for _, c := range NewRoot(&Global{}).Commands() {
		if !slices.Contains(names, c.Name()) {
			t.Errorf("command %q is not in commands", c.Name())
		}
	}
}

// TestNewRootFor: the partial tree finds what the whole tree finds, as
// containerd's shim and the engine call it; anything else gets it all.
func TestNewRootFor(t *testing.T) {
	for _, args := range [][]string{
		{"--root", "/r", "run", "--bundle", "b", "id"}, {"--root=/r", "--log", "l", "--log-format", "json", "delete", "id"},
		{"--debug", "--systemd-cgroup", "state", "id"}, {"create", "-b", "b", "id"}, {"--criu", "x", "--rootless", "y", "kill", "id", "9"},
	} {
		part, _, err := newRootFor(&Global{}, args).Find(args)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		whole, _, _ := NewRoot(&Global{}).Find(args)
		if part.CommandPath() != whole.CommandPath() {
			t.Errorf("%q: found %q, the whole tree %q", args, part.CommandPath(), whole.CommandPath())
		}
		if n := len(newRootFor(&Global{}, args).Commands()); n != 1 {
			t.Errorf("%q: %d commands, want 1", args, n)
		}
	}
	all := len(NewRoot(&Global{}).Commands())
	for _, args := range [][]string{nil, {"--version"}, {"--help"}, {"help", "run"}, {"nosuch"}, {"-v"}} {
		if n := len(newRootFor(&Global{}, args).Commands()); n != all {
			t.Errorf("%q: %d commands, want the whole tree's %d", args, n, all)
		}
	}
}
