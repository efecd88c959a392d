package fsroot

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"proc", "usr/lib", "data"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	os.Symlink("/proc", filepath.Join(dir, "abs"))
	os.Symlink("../../proc/x", filepath.Join(dir, "usr/lib/rel"))
	os.Symlink("../../../../..", filepath.Join(dir, "data/up"))
	os.Symlink("/sys/new", filepath.Join(dir, "dangling"))
	os.Symlink("loop", filepath.Join(dir, "loop"))
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for in, want := range map[string]string{
		"/": "/", "/proc": "/proc", "/abs": "/proc", "/abs/sub/dir": "/proc/sub/dir",
		"usr/lib/rel": "/proc/x", "/data/up": "/", "/data/up/dev": "/dev", "/dangling": "/sys/new",
		"/new/dir": "/new/dir", "/../../proc": "/proc",
	} {
		got, err := r.Resolve(in)
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := r.Resolve("/loop/x"); err == nil {
		t.Error("a symlink loop resolved")
	}
}
