package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A FIFO and a device node are entries, never opened; a symlink to a
// directory outside is an entry, never walked.
func TestWriteDirSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "host-secret"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "f"), []byte("data"), 0o644)
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink(outside, filepath.Join(dir, "out"))
	if os.Geteuid() == 0 {
		if err := unix.Mknod(filepath.Join(dir, "zero"), unix.S_IFCHR|0o644, int(unix.Mkdev(1, 5))); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- WriteDir(context.Background(), dir, &buf) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WriteDir blocked (opened the FIFO?)")
	}
	got := map[string]byte{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h.Typeflag
		if h.Typeflag == tar.TypeChar && h.Size != 0 {
			t.Errorf("device entry with content: %+v", h)
		}
	}
	want := map[string]byte{"f": tar.TypeReg, "fifo": tar.TypeFifo, "out": tar.TypeSymlink}
	if os.Geteuid() == 0 {
		want["zero"] = tar.TypeChar
	}
	for n, typ := range want {
		if got[n] != typ {
			t.Errorf("%s: type %q, want %q", n, got[n], typ)
		}
	}
	if _, ok := got["out/host-secret"]; ok || len(got) != len(want) {
		t.Errorf("entries %v", got)
	}
}

// The walk without a nodev clone (O_PATH nodes) sees the same entries and
// opens only regular files and directories.
func TestWalkWithoutClone(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "d"), 0o755)
	os.WriteFile(filepath.Join(dir, "d", "f"), []byte("data"), 0o644)
	unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644)
	os.Symlink("/", filepath.Join(dir, "root"))
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	d := os.NewFile(uintptr(fd), dir)
	defer d.Close()
	var seen []string
	err = walkDir(d, "", false, func(e *entry) error {
		seen = append(seen, e.rel)
		f, err := e.open()
		switch e.st.Mode & unix.S_IFMT {
		case unix.S_IFREG, unix.S_IFDIR:
			if err != nil {
				t.Errorf("open %s: %v", e.rel, err)
			} else {
				f.Close()
			}
		default:
			if err == nil {
				f.Close()
				t.Errorf("%s was opened", e.rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[d d/f fifo root]"; fmt.Sprint(seen) != want {
		t.Errorf("walked %v, want %s", seen, want)
	}
}
