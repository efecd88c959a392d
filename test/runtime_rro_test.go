package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// rro makes a whole rbind tree read-only, its submounts too; ro only the
// top.
func TestRuntimeRecursiveReadonly(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	if err := unix.Mount("tmpfs", filepath.Join(src, "sub"), "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(filepath.Join(src, "sub"), unix.MNT_DETACH)
	e := newRT(t, func(s *specs.Spec) {
		s.Mounts = append(s.Mounts,
			specs.Mount{Destination: "/rro", Type: "bind", Source: src, Options: []string{"rbind", "rro"}},
			specs.Mount{Destination: "/ro", Type: "bind", Source: src, Options: []string{"rbind", "ro"}})
	})
	out := e.sh(`for d in /rro /rro/sub /ro /ro/sub; do touch $d/f 2>/dev/null && echo $d=rw || echo $d=ro; done`)
	for _, want := range []string{"/rro=ro", "/rro/sub=ro", "/ro=ro", "/ro/sub=rw"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("want %s in:\n%s", want, out)
		}
	}
	if out := e.must("features"); !strings.Contains(out, `"rro"`) {
		t.Errorf("features lacks rro: %s", out)
	}
}
