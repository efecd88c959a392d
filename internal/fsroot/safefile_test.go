package fsroot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestReadRegularRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644)
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("fifo", filepath.Join(dir, "tofifo"))
	os.Symlink("/dev/zero", filepath.Join(dir, "zero"))
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, err := r.ReadRegular("passwd", 1<<20); err != nil || len(b) == 0 {
		t.Errorf("regular file: %q %v", b, err)
	}
	for _, p := range []string{"fifo", "tofifo", "."} {
		if _, err := r.ReadRegular(p, 1<<20); !errors.Is(err, ErrNotRegular) {
			t.Errorf("%s: %v, want ErrNotRegular", p, err)
		}
	}
	// "/dev/zero" resolves inside the root, where it does not exist.
	if _, err := r.ReadRegular("zero", 1<<20); err == nil {
		t.Error("a link to /dev/zero was read")
	}
	if _, err := r.ReadRegular("passwd", 4); err == nil {
		t.Error("the size limit was not kept")
	}
	n, err := r.Node("fifo", false)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.Type() != unix.S_IFIFO {
		t.Errorf("fifo node type %o", n.Type())
	}
	if _, err := n.Reopen(); !errors.Is(err, ErrNotRegular) {
		t.Errorf("reopen of a FIFO: %v", err)
	}
}

func TestNodeAtDoesNotFollow(t *testing.T) {
	dir := t.TempDir()
	os.Symlink("/", filepath.Join(dir, "l"))
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	n, err := NodeAt(fd, "l")
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.Type() != unix.S_IFLNK {
		t.Fatalf("type %o, want a symlink", n.Type())
	}
	if l, err := n.Readlink(); err != nil || l != "/" {
		t.Errorf("readlink %q %v", l, err)
	}
	if _, err := n.Reopen(); err == nil {
		t.Error("a symlink was reopened (followed)")
	}
}

func TestOpenViewIsNodev(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (open_tree)")
	}
	r, err := OpenView(t.TempDir())
	if err != nil {
		t.Skipf("open_tree/mount_setattr: %v", err)
	}
	defer r.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(r.Fd(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Flags&unix.ST_NODEV == 0 || st.Flags&unix.ST_NOSUID == 0 {
		t.Errorf("view flags %#x: want nodev,nosuid", st.Flags)
	}
}
