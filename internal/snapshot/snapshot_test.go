package snapshot

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
		if e.IsDir() && e.Name() != activeDir {
			t.Errorf("left dir %s", e.Name())
		}
	}
	if links, _ := os.ReadDir(filepath.Join(s.Root(), activeDir)); len(links) > 0 {
		t.Errorf("left active links: %v", links)
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

// TestIndexDamage: a lost, empty, truncated or garbled meta.json is rebuilt
// from the snapshots' own records, with every snapshot as it was.
func TestIndexDamage(t *testing.T) {
	damages := map[string]func(p string, b []byte){
		"missing":   func(p string, _ []byte) { os.Remove(p) },
		"empty":     func(p string, _ []byte) { os.WriteFile(p, nil, 0o600) },
		"truncated": func(p string, b []byte) { os.WriteFile(p, b[:len(b)/2], 0o600) },
		"garbage":   func(p string, _ []byte) { os.WriteFile(p, []byte("\x00\xff{garbage"), 0o600) },
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			s, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Prepare("l1-tmp", ""); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit("l1", "l1-tmp"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Prepare("ctr", "l1", WithLabels(map[string]string{"k": "v"})); err != nil {
				t.Fatal(err)
			}
			before, _ := s.List()
			p := filepath.Join(s.Root(), "meta.json")
			b, _ := os.ReadFile(p)
			damage(p, b)
			after, err := s.List()
			if err != nil {
				t.Fatalf("list after damage: %v", err)
			}
			if len(after) != len(before) {
				t.Fatalf("after damage %+v, want %+v", after, before)
			}
			for i := range before {
				a, b := after[i], before[i]
				if a.Key != b.Key || a.Parent != b.Parent || a.Kind != b.Kind || a.ID != b.ID || a.Labels["k"] != b.Labels["k"] {
					t.Errorf("snapshot %d: %+v, want %+v", i, a, b)
				}
			}
			if err := s.Remove("ctr"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Prepare("ctr2", "l1"); err != nil {
				t.Fatalf("prepare after rebuild: %v", err)
			}
			if info, _ := s.Stat("ctr2"); info.ID <= before[len(before)-1].ID && info.ID <= before[0].ID {
				t.Errorf("new snapshot reuses id %d", info.ID)
			}
		})
	}
}

// layerStore opens a store at root holding one committed layer, l1.
func layerStore(t *testing.T, root string) *Snapshotter {
	t.Helper()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prepare("l1-tmp", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("l1", "l1-tmp"); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestActiveOutsideIndex: an active snapshot is made and removed without
// touching the index (meta.json byte for byte), is found by every lookup,
// listed by List and not by Committed, and keeps a parent layer in use.
func TestActiveOutsideIndex(t *testing.T) {
	needRoot(t)
	s := layerStore(t, t.TempDir())
	meta := filepath.Join(s.Root(), "meta.json")
	before, _ := os.ReadFile(meta)
	for _, opts := range [][]Opt{nil, {WithVolatile()}} {
		if _, err := s.Prepare("ctr", "l1", opts...); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(meta); string(b) != string(before) {
			t.Fatalf("prepare rewrote the index: %s", b)
		}
		if _, err := s.Prepare("ctr", "l1"); !errors.Is(err, ErrExists) {
			t.Fatalf("duplicate key: %v", err)
		}
		if _, err := s.Prepare("l1", "l1"); !errors.Is(err, ErrExists) {
			t.Fatalf("key of a layer: %v", err)
		}
		if info, err := s.Stat("ctr"); err != nil || info.Kind != KindActive || info.Parent != "l1" {
			t.Fatalf("stat: %+v %v", info, err)
		}
		if _, err := s.Mounts("ctr"); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.List(); len(l) != 2 {
			t.Fatalf("list: %+v", l)
		}
		if l, _ := s.Committed(); len(l) != 1 || l[0].Key != "l1" {
			t.Fatalf("committed: %+v", l)
		}
		if err := s.Remove("l1"); !errors.Is(err, ErrInUse) {
			t.Fatalf("remove the parent of an active snapshot: %v", err)
		}
		if err := s.Remove("ctr"); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(meta); string(b) != string(before) {
			t.Fatalf("remove rewrote the index: %s", b)
		}
		if _, err := s.Stat("ctr"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("stat after remove: %v", err)
		}
	}
	if _, err := s.Prepare("a/b", "l1"); err == nil {
		t.Fatal("a key with a slash was taken")
	}
}

// TestActiveCutShort: what a process killed between the steps of a
// prepare, remove or commit leaves is either a sound snapshot or nothing
// that any lookup returns, and Cleanup reclaims it; the key can be used
// again.
func TestActiveCutShort(t *testing.T) {
	needRoot(t)
	s := layerStore(t, t.TempDir())
	prep := func(key string) Info {
		t.Helper()
		if _, err := s.Prepare(key, "l1"); err != nil {
			t.Fatal(err)
		}
		info, _ := s.Stat(key)
		return info
	}
	// Prepare cut before its link: a directory with its info.json only.
	a := prep("a")
	os.Remove(s.activeLink("a"))
	// Remove cut after renaming the directory away: a dangling link.
	b := prep("b")
	os.Rename(s.dir(b.ID), filepath.Join(s.Root(), "removing-"+strconv.Itoa(b.ID)))
	// Commit cut after the index write: the layer and a link that names
	// it under the old key.
	c := prep("c")
	c.Key, c.Kind = "l2", KindCommitted
	if err := writeInfo(s.dir(c.ID), &c); err != nil {
		t.Fatal(err)
	}
	// A link to a directory whose info.json was lost (a volatile write).
	d := prep("d")
	os.Remove(filepath.Join(s.dir(d.ID), infoFile))
	for _, k := range []string{"a", "b", "c", "d"} {
		if _, err := s.Stat(k); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: stat of a cut-short snapshot: %v", k, err)
		}
	}
	if l, _ := s.List(); len(l) != 1 {
		t.Errorf("list: %+v", l)
	}
	if err := s.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if links, _ := os.ReadDir(filepath.Join(s.Root(), activeDir)); len(links) != 0 {
		t.Errorf("links left after cleanup: %v", links)
	}
	for _, id := range []int{a.ID, b.ID, d.ID} {
		if _, err := os.Lstat(s.dir(id)); err == nil {
			t.Errorf("directory %d left after cleanup", id)
		}
	}
	if _, err := os.Lstat(filepath.Join(s.Root(), "removing-"+strconv.Itoa(b.ID))); err == nil {
		t.Errorf("removing-%d left after cleanup", b.ID)
	}
	for _, k := range []string{"a", "b", "d"} {
		prep(k)
		if err := s.Remove(k); err != nil {
			t.Errorf("%s: remove after reuse: %v", k, err)
		}
	}
}

// TestActiveKill9: a process preparing and removing active snapshots
// (synced and volatile) is killed with -9 at 25 points; each time the
// store opens whole: every link left is a sound snapshot or is reclaimed
// by Cleanup with its directory, and every snapshot left can be mounted
// (its lookups) and removed, leaving only the layer.
func TestActiveKill9(t *testing.T) {
	needRoot(t)
	if root := os.Getenv("JINN_SNAPSHOT_CHURN"); root != "" {
		s, err := Open(root)
		if err != nil {
			os.Exit(2)
		}
		// Killed long before; the limit only bounds an orphan.
		for i, end := 0, time.Now().Add(10*time.Second); time.Now().Before(end); i++ {
			key := "ctr-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(i)
			var opts []Opt
			if i%2 == 1 {
				opts = append(opts, WithVolatile())
			}
			if _, err := s.Prepare(key, "l1", opts...); err != nil {
				os.Exit(3)
			}
			if i%3 != 0 {
				s.Remove(key)
			}
		}
		os.Exit(0)
	}
	root := t.TempDir()
	s := layerStore(t, root)
	l1, _ := s.Stat("l1")
	for round := 0; round < 25; round++ {
		c := exec.Command(os.Args[0], "-test.run", "^TestActiveKill9$")
		c.Env = append(os.Environ(), "JINN_SNAPSHOT_CHURN="+root)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+round*7) * time.Millisecond)
		c.Process.Kill()
		if err := c.Wait(); err != nil && c.ProcessState.ExitCode() > 0 {
			t.Fatalf("round %d: the churn failed: %v", round, err)
		}
		if err := s.Cleanup(); err != nil {
			t.Fatal(err)
		}
		infos, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		links, _ := os.ReadDir(filepath.Join(root, activeDir))
		if len(links) != len(infos)-1 {
			t.Fatalf("round %d: %d links after cleanup, %d active snapshots", round, len(links), len(infos)-1)
		}
		for _, i := range infos {
			if i.Key == "l1" {
				continue
			}
			if _, err := s.Mounts(i.Key); err != nil {
				t.Fatalf("round %d: %s: %v", round, i.Key, err)
			}
		}
	}
	infos, _ := s.List()
	t.Logf("%d active snapshots left by 25 killed churns", len(infos)-1)
	for _, i := range infos {
		if i.Key != "l1" {
			if err := s.Remove(i.Key); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.Cleanup()
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if e.IsDir() && e.Name() != activeDir && e.Name() != strconv.Itoa(l1.ID) {
			t.Errorf("left dir %s", e.Name())
		}
	}
	if links, _ := os.ReadDir(filepath.Join(root, activeDir)); len(links) > 0 {
		t.Errorf("left links: %d", len(links))
	}
}

// TestVolatileInfoXattr: a volatile active snapshot's record is an xattr
// of its directory (no info.json); it is found, cleaned up like any, and a
// commit's info.json takes over.
func TestVolatileInfoXattr(t *testing.T) {
	needRoot(t)
	s := layerStore(t, t.TempDir())
	if _, err := s.Prepare("ctr", "l1", WithVolatile()); err != nil {
		t.Fatal(err)
	}
	info, err := s.Stat("ctr")
	if err != nil || info.Kind != KindActive || !info.Volatile || info.Parent != "l1" {
		t.Fatalf("stat: %+v %v", info, err)
	}
	dir := s.dir(info.ID)
	if _, err := os.Stat(filepath.Join(dir, infoFile)); !os.IsNotExist(err) {
		t.Skipf("no user xattrs on %s: info.json is used (%v)", dir, err)
	}
	if err := s.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat("ctr"); err != nil {
		t.Fatalf("cleanup took a sound volatile snapshot: %v", err)
	}
	if err := s.Commit("l2", "ctr"); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Stat("l2"); err != nil || info.Kind != KindCommitted || info.Volatile {
		t.Fatalf("committed: %+v %v", info, err)
	}
	if _, err := s.Stat("ctr"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the active key after commit: %v", err)
	}
	if _, err := s.Prepare("ctr2", "l2", WithVolatile()); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("ctr2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat("ctr2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after remove: %v", err)
	}
}
