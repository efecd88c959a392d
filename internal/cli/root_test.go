package cli

import (
	"slices"
	"strings"
	"testing"
)

// TestCommandTable: each constructor in commands makes the command its
// entry names, and the whole tree has no top-level command beside them.
func TestCommandTable(t *testing.T) {
	var names []string
	for _, c := range commands {
		if got := c.make(&Options{}).Name(); got != c.name {
			t.Errorf("commands entry %q makes %q", c.name, got)
		}
		names = append(names, c.name)
	}
	for _, c := range NewRoot().Commands() {
		if !slices.Contains(names, c.Name()) {
			t.Errorf("top-level command %q is not in commands", c.Name())
		}
	}
}

// TestNewRootFor: the partial tree finds the command the whole tree finds,
// with the same global flags before it; anything else gets the whole tree.
func TestNewRootFor(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--rm", "busybox"}, {"--root", "/x", "run", "busybox"}, {"--root=/x", "-D", "ps", "-a"},
		{"--debug", "--cgroup-parent", "p", "container", "ls"}, {"image", "build", "."}, {"image", "ls"},
		{"system", "prune"}, {"-D", "--runtime", "runc", "rm", "-f", "x"},
	} {
		part, _, err := NewRootFor(args).Find(args)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		whole, _, _ := NewRoot().Find(args)
		if part.CommandPath() != whole.CommandPath() {
			t.Errorf("%q: found %q, the whole tree %q", args, part.CommandPath(), whole.CommandPath())
		}
		if n := len(NewRootFor(args).Commands()); n != 1 {
			t.Errorf("%q: %d top-level commands, want 1", args, n)
		}
	}
	for _, args := range [][]string{nil, {"--help"}, {"help", "run"}, {"nosuch"}, {"--nosuch", "run"}, {"-x", "run"}, {"--", "run"}, {"completion", "bash"}} {
		if n, all := len(NewRootFor(args).Commands()), len(NewRoot().Commands()); n != all {
			t.Errorf("%q: %d top-level commands, want the whole tree's %d", args, n, all)
		}
	}
}

// jinn --version and -v print docker's one line, with the root alone.
func TestVersionFlag(t *testing.T) {
	for _, f := range []string{"--version", "-v"} {
		root := NewRootFor([]string{f})
		if n := len(root.Commands()); n != 0 {
			t.Errorf("%s: %d commands built, want none", f, n)
		}
		var out strings.Builder
		root.SetOut(&out)
		root.SetArgs([]string{f})
		if err := root.Execute(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got := out.String(); !strings.HasPrefix(got, "jinn version "+Version+", build ") || !strings.HasSuffix(got, "\n") {
			t.Errorf("%s: %q", f, got)
		}
	}
}
