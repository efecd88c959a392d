package test

import (
	"os"
	"path/filepath"
	"testing"
)

// A container whose runtime binary is gone (uninstalled, or a build tree
// removed) must not survive `rm -f` while rm says it removed it: the
// engine ends its processes through its cgroup and removes the cgroups
// the runtime's delete would have.
func TestEngineRmRuntimeGone(t *testing.T) {
	rt := filepath.Join(t.TempDir(), "jinn-runtime")
	b, err := os.ReadFile(bin("jinn-runtime"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rt, b, 0o755); err != nil {
		t.Fatal(err)
	}
	j := newJinn(t, rt)
	id := j.ok(append(append([]string{"run", "-d", "--name", "rtgone", "-p", "127.0.0.1::80"}, j.image()...), "sleep", "1000")...)
	id = id[:len(id)-1]
	had := j.owned(id)
	if had.pid == 0 {
		t.Fatalf("no pid for %s", id)
	}
	if err := os.Remove(rt); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := j.run("rm", "-f", id); code != 0 {
		t.Fatalf("rm -f with its runtime gone: exit %d: %s%s", code, out, errs)
	}
	j.assertGone(id, "rtgone", had)
}
