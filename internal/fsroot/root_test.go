package fsroot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestResolveStaysInside: symlinks and ".." are resolved as if the root
// were "/" (Open) or refused (OpenBeneath); nothing outside is touched.
func TestResolveStaysInside(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("inside\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "secret"), []byte("outside\n"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(root, "abs"))
	os.Symlink("../../secret", filepath.Join(root, "etc", "up"))
	os.Symlink("/nowhere/new", filepath.Join(root, "dangling"))

	r, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, p := range []string{"abs", "/abs", "../../../etc/passwd", "etc/../abs"} {
		f, err := r.Open(p)
		if err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		b := make([]byte, 16)
		n, _ := f.Read(b)
		f.Close()
		if string(b[:n]) != "inside\n" {
			t.Errorf("open %s read %q, want the root's /etc/passwd", p, b[:n])
		}
	}
	if _, err := r.Open("etc/up"); err == nil {
		t.Error("a symlink out of the root reached a file")
	}
	// A mount target under a dangling symlink is made inside the root.
	if err := r.MkdirAll("dangling/sub", 0o755, nil); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(root, "nowhere", "new", "sub")); err != nil || !st.IsDir() {
		t.Errorf("dangling symlink target not made inside: %v", err)
	}
	if _, err := os.Stat("/nowhere"); err == nil {
		t.Fatal("MkdirAll wrote outside the root")
	}
	if err := r.MkFile("dev/console"); err != nil {
		t.Fatal(err)
	}
	if st, err := r.Lstat("dev/console"); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		t.Errorf("MkFile: %v", err)
	}
	if target, err := r.Readlink("abs"); err != nil || target != "/etc/passwd" {
		t.Errorf("Readlink = %q, %v", target, err)
	}

	b, err := OpenBeneath(root)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Open("abs"); err == nil || !strings.Contains(err.Error(), "leaves the root") {
		t.Errorf("beneath: absolute symlink: %v, want an error", err)
	}
	if _, err := b.Open("etc/passwd"); err != nil {
		t.Errorf("beneath: plain path: %v", err)
	}
}

func TestWriteAndRemove(t *testing.T) {
	root := t.TempDir()
	r, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.MkdirAll("a/b", 0o750, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFile("a/b/f", strings.NewReader("data"), 0o640, nil, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.Symlink("a/b/l", "f", nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Link("a/b/f", "a/h"); err != nil {
		t.Fatal(err)
	}
	names, err := r.ReadDir("a/b")
	if err != nil || len(names) != 2 {
		t.Errorf("ReadDir = %v, %v", names, err)
	}
	if st, err := r.Stat("a/b/l"); err != nil || st.Size != 4 || st.Mode&0o777 != 0o640 {
		t.Errorf("Stat through the link: %+v %v", st, err)
	}
	if err := r.Remove("a/h"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Lstat("a/h"); err == nil {
		t.Error("Remove left the file")
	}
}
