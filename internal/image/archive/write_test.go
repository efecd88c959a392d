package archive

import (
	"archive/tar"
	"bytes"
	"context"
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
