package snapshot

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func TestLifecycle(t *testing.T) {
	needRoot(t)
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Two committed layers, then an active snapshot on top.
	if _, err := s.Prepare("l1-tmp", ""); err != nil {
		t.Fatal(err)
	}
	up, _, _ := s.Dirs("l1-tmp")
	os.WriteFile(filepath.Join(up, "a"), []byte("1"), 0o644)
	if err := s.Commit("l1", "l1-tmp"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prepare("l2-tmp", "l1"); err != nil {
		t.Fatal(err)
	}
	up, _, _ = s.Dirs("l2-tmp")
	os.WriteFile(filepath.Join(up, "b"), []byte("2"), 0o644)
	if err := s.Commit("l2", "l2-tmp"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prepare("x", "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing parent: %v", err)
	}
	ms, err := s.Prepare("ctr", "l2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prepare("ctr", "l2"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate key: %v", err)
	}
	if len(ms) != 1 || ms[0].Type != "overlay" || !strings.Contains(strings.Join(ms[0].Options, ","), "upperdir=") {
		t.Fatalf("mounts %+v", ms)
	}
	again, _ := s.Mounts("ctr")
	if strings.Join(again[0].Options, ",") != strings.Join(ms[0].Options, ",") {
		t.Fatal("Mounts differs from Prepare")
	}
	target := t.TempDir()
	if err := MountAll(ms, target); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{"a": "1", "b": "2"} {
		if b, _ := os.ReadFile(filepath.Join(target, f)); string(b) != want {
			t.Errorf("%s = %q", f, b)
		}
	}
	os.WriteFile(filepath.Join(target, "c"), make([]byte, 100000), 0o644)
	if err := UnmountAll(target); err != nil {
		t.Fatal(err)
	}
	if u, err := s.Usage("ctr"); err != nil || u.Size < 100000 {
		t.Fatalf("usage %+v %v", u, err)
	}
	if err := s.Remove("l2"); !errors.Is(err, ErrInUse) {
		t.Fatalf("remove a parent: %v", err)
	}
	// A read-only view of one layer is a bind mount.
	if vm, err := s.View("v", "l1"); err != nil || vm[0].Type != "bind" {
		t.Fatalf("view: %+v %v", vm, err)
	}
	for _, k := range []string{"v", "ctr", "l2", "l1"} {
		if err := s.Remove(k); err != nil {
			t.Fatal(err)
		}
	}
	if l, _ := s.List(); len(l) != 0 {
		t.Fatalf("left %v", l)
	}
	ents, _ := os.ReadDir(s.Root())
	for _, e := range ents {
		if e.IsDir() {
			t.Errorf("left dir %s", e.Name())
		}
	}
}

// writeUntilFull writes up to n MiB and returns the error that stopped it.
func writeUntilFull(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for i := 0; i < n; i++ {
		if _, err := f.Write(buf); err != nil {
			return err
		}
	}
	return f.Sync()
}

func testQuota(t *testing.T, root, wantKind string) {
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := s.Prepare("q", "", WithSize(32<<20))
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := s.Stat("q"); info.QuotaKind != wantKind {
		t.Fatalf("quota kind %q, want %q", info.QuotaKind, wantKind)
	}
	target := t.TempDir()
	if err := MountAll(ms, target); err != nil {
		t.Fatal(err)
	}
	err = writeUntilFull(filepath.Join(target, "big"), 64)
	UnmountAll(target)
	if !errors.Is(err, unix.ENOSPC) && !errors.Is(err, unix.EDQUOT) {
		t.Fatalf("write past 32MB: %v", err)
	}
	if err := s.Remove("q"); err != nil {
		t.Fatal(err)
	}
}

func TestQuotaLoop(t *testing.T) {
	needRoot(t)
	testQuota(t, t.TempDir(), "loop")
}

// TestQuotaXFS makes an xfs filesystem with project quotas in a sparse
// file and checks that a store there uses them.
func TestQuotaXFS(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("mkfs.xfs"); err != nil {
		t.Skip("xfsprogs not installed")
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "xfs.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Truncate(img, 512<<20)
	if b, err := exec.Command("mkfs.xfs", "-q", img).CombinedOutput(); err != nil {
		t.Skipf("mkfs.xfs: %v %s", err, b)
	}
	mnt := filepath.Join(dir, "mnt")
	os.Mkdir(mnt, 0o700)
	if b, err := exec.Command("mount", "-o", "loop,prjquota", img, mnt).CombinedOutput(); err != nil {
		// The kernel lacks xfs or its project quotas (or loop devices).
		t.Skipf("kernel feature missing: xfs with project quotas (mount -o loop,prjquota: %v %s)", err, b)
	}
	defer exec.Command("umount", mnt).Run()
	testQuota(t, filepath.Join(mnt, "snapshots"), "xfs")
}

// Layers extracted apart can be stacked afterwards with WithParent.
func TestCommitWithParent(t *testing.T) {
	needRoot(t)
	s, _ := Open(t.TempDir())
	s.Prepare("a-tmp", "")
	s.Prepare("b-tmp", "")
	if err := s.Commit("b", "b-tmp", WithParent("a")); err == nil {
		t.Fatal("stacked on a parent that is not committed yet")
	}
	if err := s.Commit("a", "a-tmp"); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("b", "b-tmp", WithParent("a")); err != nil {
		t.Fatal(err)
	}
	if info, _ := s.Stat("b"); info.Parent != "a" {
		t.Fatalf("parent %q", info.Parent)
	}
	if _, lowers, _ := s.Dirs("b"); len(lowers) != 1 {
		t.Fatalf("lowers %v", lowers)
	}
}
