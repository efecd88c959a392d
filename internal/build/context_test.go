package build

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// A hostile context tarball cannot write outside the unpack directory:
// not by "..", not by an absolute name, not through a symlink it planted.
func TestContextTarStaysInside(t *testing.T) {
	outside := t.TempDir()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body string) {
		h.Size = int64(len(body))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	add(&tar.Header{Name: "../../../../" + outside + "/dotdot", Typeflag: tar.TypeReg}, "x")
	add(&tar.Header{Name: outside + "/abs", Typeflag: tar.TypeReg}, "x")
	add(&tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: outside}, "")
	add(&tar.Header{Name: "link/through", Typeflag: tar.TypeReg}, "x")
	add(&tar.Header{Name: "Dockerfile", Typeflag: tar.TypeReg}, "FROM scratch\n")
	add(&tar.Header{Name: ".dockerignore", Typeflag: tar.TypeReg}, "*.tmp\n")
	tw.Close()

	c, err := OpenContext("-", &buf, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ents, _ := os.ReadDir(outside)
	if len(ents) > 0 {
		t.Fatalf("the tarball wrote outside: %v", ents)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "Dockerfile")); err != nil {
		t.Error(err)
	}
	if !c.Ignore.Excluded("a.tmp") {
		t.Error(".dockerignore of a tar context not read")
	}
	if c.Dockerfile != nil {
		t.Error("a tar on stdin was taken for a Dockerfile")
	}
}

func TestContextStdinDockerfile(t *testing.T) {
	c, err := OpenContext("-", bytes.NewBufferString("FROM scratch\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if string(c.Dockerfile) != "FROM scratch\n" {
		t.Errorf("Dockerfile %q", c.Dockerfile)
	}
	if _, err := OpenContext(filepath.Join(t.TempDir(), "nope"), nil, t.TempDir()); err == nil {
		t.Error("a missing context was accepted")
	}
}

func TestCacheKeys(t *testing.T) {
	c := OpenCache(t.TempDir())
	k1, k2 := Key("sha256:a", "run", "x"), Key("sha256:a", "runx")
	if k1 == k2 || k1 != Key("sha256:a", "run", "x") {
		t.Fatal("keys are not separated by part")
	}
	if c.Get(k1) != "" {
		t.Fatal("empty cache hit")
	}
	if err := c.Put(k1, "sha256:b"); err != nil {
		t.Fatal(err)
	}
	if c.Get(k1) != "sha256:b" {
		t.Error("no hit after Put")
	}
	if e, _ := c.Entries(); len(e) != 1 {
		t.Errorf("entries %v", e)
	}
	c.Drop(k1)
	if c.Get(k1) != "" {
		t.Error("hit after Drop")
	}
}
