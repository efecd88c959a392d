package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/cliplan"
	"github.com/jinn-containers/jinn/internal/jsonlite"
)

// Active snapshots (a container's root filesystem, a layer being unpacked,
// a build step) are not in the index: each is its numbered directory with
// its info.json, named by the symlink active/KEY -> ID. Making or removing
// one rewrites no shared file: a container's start no longer reads, rewrites
// and syncs an index that grows with every container (~350 bytes each),
// and concurrent starts contend only for the lock. The index (meta.json)
// keeps what changes rarely: committed layers and views.
//
// The link is the record, info.json the content. A link whose directory
// is gone or whose info.json names another key or kind (a removal or a
// commit cut short between its steps) is no snapshot; Cleanup removes it.
// Removal renames the directory away first, then drops the link; commit
// writes the layer's info.json and the index first, then drops the link.
// Stores from before the split keep their active snapshots in the index,
// where every operation still finds them.
const activeDir = "active"

// nextFile is where the next active snapshot's id is looked for first: a
// hint, written in place without sync; ids are taken by mkdir, which
// skips any id in use.
const nextFile = "next-active"

func (s *Snapshotter) activeLink(key string) string { return filepath.Join(s.root, activeDir, key) }

// checkKey refuses keys that cannot name a link in active/.
func checkKey(key string) error {
	if key == "" || key == "." || key == ".." || len(key) > 255 || strings.ContainsAny(key, "/\x00") {
		return fmt.Errorf("snapshot key %q: not usable as a file name", key)
	}
	return nil
}

// active returns the active snapshot named key, if its link is sound.
func (s *Snapshotter) active(key string) (*Info, bool) {
	if checkKey(key) != nil {
		return nil, false
	}
	t, err := os.Readlink(s.activeLink(key))
	if err != nil {
		return nil, false
	}
	id, err := strconv.Atoi(t)
	if err != nil {
		return nil, false
	}
	info, err := readInfo(s.dir(id))
	if err != nil || info.Key != key || info.ID != id || info.Kind != KindActive {
		return nil, false
	}
	return info, true
}

func readInfo(dir string) (*Info, error) {
	b, err := os.ReadFile(filepath.Join(dir, infoFile))
	if errors.Is(err, os.ErrNotExist) {
		b, err = readInfoXattr(dir)
	}
	if err != nil {
		return nil, err
	}
	info := &Info{}
	if err := jsonlite.Decode(b, info); err != nil {
		return nil, err
	}
	return info, nil
}

// find looks key up in the index, then among the active snapshots.
func (s *Snapshotter) find(ix *index, key string) (*Info, bool) {
	if info, ok := ix.Snapshots[key]; ok {
		return info, true
	}
	return s.active(key)
}

// actives lists the sound active snapshots; with stale, also the names of
// links that are not.
func (s *Snapshotter) actives() (infos []*Info, stale []string) {
	ents, _ := os.ReadDir(filepath.Join(s.root, activeDir))
	for _, e := range ents {
		if info, ok := s.active(e.Name()); ok {
			infos = append(infos, info)
		} else {
			stale = append(stale, e.Name())
		}
	}
	return infos, stale
}

// allocActive makes the directory of a new active snapshot and returns its
// id: the first free id from the hint (or past the index's last). Called
// under the lock.
func (s *Snapshotter) allocActive(ix *index) (int, error) {
	id := ix.Next + 1
	if b, err := os.ReadFile(filepath.Join(s.root, nextFile)); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > id {
			id = n
		}
	}
	for ; ; id++ {
		err := os.Mkdir(s.dir(id), 0o700)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return 0, err
		}
	}
	writeHint(filepath.Join(s.root, nextFile), id+1)
	return id, nil
}

// writeHint overwrites the hint in place, padded to a fixed width: a
// truncate (or a rename over it) would free its block, and on a file
// system mounted with discard every freed block waits for the device.
func writeHint(path string, n int) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%-20d\n", n)
	f.Close()
}

// createActive is Prepare: the snapshot's directory, its info.json (synced
// unless volatile) and its link; the index is read for the parent only.
func (s *Snapshotter) createActive(key, parent string, opts []Opt) ([]Mount, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("prepare snapshot: %w", err)
	}
	ix, unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, ok := s.find(ix, key); ok {
		return nil, fmt.Errorf("prepare snapshot %s: %w", key, ErrExists)
	}
	if parent != "" {
		p, ok := ix.Snapshots[parent]
		if !ok {
			return nil, fmt.Errorf("prepare snapshot %s: parent %s: %w", key, parent, ErrNotFound)
		}
		if p.Kind != KindCommitted {
			return nil, fmt.Errorf("prepare snapshot %s: parent %s is not committed", key, parent)
		}
	}
	id, err := s.allocActive(ix)
	if err != nil {
		return nil, fmt.Errorf("prepare snapshot %s: %w", key, err)
	}
	dir := s.dir(id)
	fail := func(err error) ([]Mount, error) {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("prepare snapshot %s: %w", key, err)
	}
	info := &Info{Key: key, Parent: parent, Kind: KindActive, Created: timeNow(), ID: id}
	for _, o := range opts {
		o(info)
	}
	if r := info.rec; r != nil {
		// Under the lock taken above: the replay takes it, allocates as
		// allocActive did (from the index's next, which the plan's key
		// holds by meta.json's identity, and the hint), and goes on.
		r.Op("snaplock", filepath.Join(s.root, "lock"))
		r.Op("snapalloc", s.root, ix.Next, filepath.Join(s.root, nextFile))
		s.recHoles(r, id)
		r.Hole(cliplan.HoleSnapTm, info.Created.Format(time.RFC3339Nano))
		if info.Quota > 0 || !info.Volatile {
			r.Refuse("a snapshot with a quota or records synced")
		}
	}
	if info.Quota > 0 {
		qk, err := s.setupQuota(dir, info.ID, info.Quota)
		if err != nil {
			return fail(fmt.Errorf("size quota: %w", err))
		}
		info.QuotaKind = qk
	} else if err := mkdirs(dir, "", info.rec); err != nil {
		return fail(err)
	}
	switch {
	case info.Volatile && info.Quota == 0:
		err = writeInfoXattr(dir, info)
	case info.Volatile:
		err = writeInfoNoSync(dir, info)
	default:
		err = writeInfo(dir, info)
	}
	if err != nil {
		return fail(err)
	}
	link := s.activeLink(key)
	if info.rec != nil {
		info.rec.Op("xattr", dir, infoXattr, mustJSON(info))
		info.rec.Op("snaplink", link) // a link to the number
		info.rec.Op("snapunlock")
	}
	err = os.Symlink(strconv.Itoa(id), link)
	if errors.Is(err, os.ErrExist) {
		// A stale link (find saw no snapshot behind it).
		os.Remove(link)
		err = os.Symlink(strconv.Itoa(id), link)
	}
	if err != nil {
		if info.QuotaKind == "loop" {
			unmountLoop(dir)
		}
		return fail(err)
	}
	return s.mounts(ix, info)
}

// removeActive removes the active snapshot key; found is false when key
// names none (it may be in the index).
//
// The index is not read: a sound link (its info.json names key as active)
// is never in the index as well, since a commit rewrites info.json (kind
// committed) before it adds the layer to the index and drops the link.
func (s *Snapshotter) removeActive(key string, rec *cliplan.Recorder) (found bool, err error) {
	unlock, err := s.lockOnly()
	if err != nil {
		return true, err
	}
	info, ok := s.active(key)
	if !ok {
		unlock()
		rec.Refuse("no snapshot to remove")
		return false, nil
	}
	gone, err := s.detach(info)
	if err == nil {
		os.Remove(s.activeLink(key))
	}
	unlock()
	if err == nil {
		os.RemoveAll(gone)
	}
	if rec != nil {
		s.recHoles(rec, info.ID)
		rec.Op("snaplock", filepath.Join(s.root, "lock"))
		rec.Op("rename", s.dir(info.ID), gone)
		rec.Op("unlink", s.activeLink(key))
		rec.Op("snapunlock")
		rec.Op("rmtree", gone)
		if err != nil || info.QuotaKind != "" {
			rec.Refuse("a snapshot removal of another kind")
		}
	}
	return true, err
}

// recHoles registers the active snapshot's number id as a hole where it
// stands for the snapshot: its directory, the one being removed, its
// record's "id".
func (s *Snapshotter) recHoles(r *cliplan.Recorder, id int) {
	n := strconv.Itoa(id)
	r.HoleAt(s.root+"/", n, cliplan.HoleSnap)
	r.HoleAt(s.root+"/removing-", n, cliplan.HoleSnap)
	r.HoleAt(`"id":`, n, cliplan.HoleSnap)
}

// infoXattr holds a volatile active snapshot's record, on its directory,
// where the file system has user xattrs: a --rm container's layer is made
// and removed on every run, and info.json was one more inode to allocate
// (on ext4 without a journal, a scan of the recently freed ones) and one
// more block to discard at removal. The record is the same, and read the
// same way: readInfo takes info.json first (a commit writes one, kind
// committed, which then is the truth), then this.
const infoXattr = "user.jinn.snapshot"

func writeInfoXattr(dir string, info *Info) error {
	b := mustJSON(info)
	if err := unix.Setxattr(dir, infoXattr, b, 0); err != nil {
		return writeInfoNoSync(dir, info)
	}
	return nil
}

func readInfoXattr(dir string) ([]byte, error) {
	b := make([]byte, 1024)
	for {
		n, err := unix.Getxattr(dir, infoXattr, b)
		if err == unix.ERANGE {
			b = make([]byte, 2*len(b))
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "getxattr", Path: dir, Err: os.ErrNotExist}
		}
		return b[:n], nil
	}
}
