package rmtree

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRemoveAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	for _, p := range []string{"fs/etc/hostname", "work/incompat/volatile/dirty", "a", "b", "c", "e", "f", "g", "h", "i"} {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "work", "work"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s left: %v", dir, err)
	}
	// Missing: nil, as os.RemoveAll.
	if err := RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	// A file: removed, as os.RemoveAll.
	f := filepath.Join(t.TempDir(), "f")
	os.WriteFile(f, nil, 0o600)
	if err := RemoveAll(f); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(f); !os.IsNotExist(err) {
		t.Fatalf("%s left", f)
	}
}

func TestRemoveAllSymlinkNotFollowed(t *testing.T) {
	tmp := t.TempDir()
	keep := filepath.Join(tmp, "keep")
	os.MkdirAll(filepath.Join(keep, "x"), 0o700)
	dir := filepath.Join(tmp, "d")
	os.MkdirAll(dir, 0o700)
	os.Symlink(keep, filepath.Join(dir, "link"))
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)
	if err := RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(keep, "x")); err != nil {
		t.Fatalf("followed a symlink: %v", err)
	}
}

func TestRemoveAllTopSymlink(t *testing.T) {
	tmp := t.TempDir()
	keep := filepath.Join(tmp, "keep")
	os.MkdirAll(filepath.Join(keep, "x"), 0o700)
	link := filepath.Join(tmp, "link")
	os.Symlink(keep, link)
	if err := RemoveAll(link); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Fatal("link left")
	}
	if _, err := os.Stat(filepath.Join(keep, "x")); err != nil {
		t.Fatalf("removed through a symlink: %v", err)
	}
}
