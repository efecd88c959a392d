// Package snapshot keeps overlayfs snapshots: committed, read-only layers
// (keyed by their chain ID) and active, writable snapshots (a container's
// rootfs, keyed by the container ID) stacked on them. Like containerd's
// snapshotter it returns mounts as data; MountAll performs them.
//
// Layout under the root: meta.json (the index of committed layers and
// views, replaced by atomic rename under an flock), active/KEY (a symlink
// to the numbered directory of an active snapshot, which is not in the
// index: active.go), and one short numbered directory per snapshot holding
// fs/ (the layer or upper dir), work/ (overlay's workdir) and info.json (the
// snapshot's own entry, from which a lost or damaged index is rebuilt).
// Short names keep the overlay option string small, so ~100 layers fit in
// a page.
package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/cliplan"
	"github.com/jinn-containers/jinn/internal/jsonlite"
)

// Kind tells committed layers from writable snapshots.
type Kind string

const (
	KindCommitted Kind = "committed"
	KindActive    Kind = "active"
	KindView      Kind = "view"
)

var (
	// ErrNotFound: no snapshot has that key.
	ErrNotFound = errors.New("snapshot not found")
	// ErrExists: a snapshot already has that key.
	ErrExists = errors.New("snapshot already exists")
	// ErrInUse: the snapshot has children and cannot be removed.
	ErrInUse = errors.New("snapshot has children")
)

// Mount is one mount to perform, in containerd's shape.
type Mount struct {
	Type    string   `json:"type"`
	Source  string   `json:"source"`
	Options []string `json:"options,omitempty"`
}

// Info describes a snapshot.
type Info struct {
	Key     string            `json:"key"`
	Parent  string            `json:"parent,omitempty"`
	Kind    Kind              `json:"kind"`
	Created time.Time         `json:"created"`
	Labels  map[string]string `json:"labels,omitempty"`
	// Quota is the size limit of a writable snapshot in bytes (0: none)
	// and QuotaKind how it is enforced ("xfs" or "loop").
	Quota     int64  `json:"quota,omitempty"`
	QuotaKind string `json:"quotaKind,omitempty"`
	// Size is the disk usage of a committed snapshot, measured at commit.
	Size int64 `json:"size,omitempty"`
	ID   int   `json:"id"`
	// Volatile marks a writable snapshot that no crash must keep: overlay
	// mounts it with "volatile" (no sync of the upper dir, not even at
	// unmount, and the kernel refuses to mount it again after a crash), and
	// its records are written without fsync (see WithVolatile).
	Volatile bool `json:"volatile,omitempty"`

	rec *cliplan.Recorder // WithRecorder's, for this call only
}

// WithRecorder records the snapshot's writes for the CLI's run plan
// (internal/cliplan): its number is a hole, allocated by the replay as
// allocActive does, under the same lock.
func WithRecorder(r *cliplan.Recorder) Opt { return func(i *Info) { i.rec = r } }

// Usage is the disk a snapshot's own directory uses.
type Usage struct {
	Size   int64 // bytes
	Inodes int64
}

// Opt tunes Prepare.
type Opt func(*Info)

// WithSize limits a writable snapshot to n bytes: writes past it fail with
// ENOSPC (docker's --storage-opt size=).
func WithSize(n int64) Opt { return func(i *Info) { i.Quota = n } }

// WithParent, given to Commit, stacks the layer on the committed snapshot
// p instead of the one it was prepared on: a layer's directory does not
// depend on what is below it, so layers can be unpacked in parallel and
// stacked afterwards.
func WithParent(p string) Opt { return func(i *Info) { i.Parent = p } }

// WithVolatile makes an active snapshot disposable, for a container that
// is removed when it exits (run --rm): its upper dir is never synced
// (overlay's "volatile": its unmount does not sync the whole upper file
// system), and neither are its info.json nor the index writes that add or
// remove it. A crash can then lose those writes, which the store survives:
// a garbled index is rebuilt from the info.json files (those of committed
// layers are synced), a directory missing from the index is reclaimed by
// Cleanup, and an index entry left for a removed one is a container
// snapshot without its container, which the engine's prune removes.
func WithVolatile() Opt { return func(i *Info) { i.Volatile = true } }

// WithLabels attaches labels to the snapshot.
func WithLabels(l map[string]string) Opt {
	return func(i *Info) {
		if i.Labels == nil {
			i.Labels = map[string]string{}
		}
		for k, v := range l {
			i.Labels[k] = v
		}
	}
}

// Snapshotter manages the snapshots under one directory.
type Snapshotter struct {
	root string
}

type index struct {
	Next      int              `json:"next"`
	Snapshots map[string]*Info `json:"snapshots"`
}

// Open opens (creating if needed) the snapshots under root.
func Open(root string) (*Snapshotter, error) {
	if err := os.MkdirAll(filepath.Join(root, activeDir), 0o700); err != nil {
		return nil, fmt.Errorf("create snapshot root %s: %w", root, err)
	}
	return &Snapshotter{root: root}, nil
}

// Root is the directory holding the snapshots.
func (s *Snapshotter) Root() string { return s.root }

// Prepare makes an active (writable) snapshot named key on top of the
// committed snapshot parent ("" for an empty one) and returns its mounts.
func (s *Snapshotter) Prepare(key, parent string, opts ...Opt) ([]Mount, error) {
	return s.create(KindActive, key, parent, opts)
}

// View makes a read-only snapshot of parent and returns its mounts.
func (s *Snapshotter) View(key, parent string, opts ...Opt) ([]Mount, error) {
	return s.create(KindView, key, parent, opts)
}

func (s *Snapshotter) create(kind Kind, key, parent string, opts []Opt) ([]Mount, error) {
	if key == "" {
		return nil, fmt.Errorf("prepare snapshot: empty key")
	}
	if kind == KindActive {
		return s.createActive(key, parent, opts)
	}
	var ms []Mount
	nosync := false
	err := s.updateSync(&nosync, func(ix *index) error {
		if _, ok := s.find(ix, key); ok {
			return fmt.Errorf("prepare snapshot %s: %w", key, ErrExists)
		}
		if parent != "" {
			p, ok := ix.Snapshots[parent]
			if !ok {
				return fmt.Errorf("prepare snapshot %s: parent %s: %w", key, parent, ErrNotFound)
			}
			if p.Kind != KindCommitted {
				return fmt.Errorf("prepare snapshot %s: parent %s is not committed", key, parent)
			}
		}
		ix.Next++
		// A process killed between its mkdir and the index write left a
		// directory no snapshot owns: skip past it rather than fail forever.
		for {
			if _, err := os.Lstat(s.dir(ix.Next)); errors.Is(err, os.ErrNotExist) {
				break
			}
			ix.Next++
		}
		info := &Info{Key: key, Parent: parent, Kind: kind, Created: time.Now().UTC(), ID: ix.Next}
		for _, o := range opts {
			o(info)
		}
		if kind != KindActive {
			info.Volatile = false
		}
		nosync = info.Volatile
		dir := s.dir(info.ID)
		if err := os.Mkdir(dir, 0o700); err != nil {
			return fmt.Errorf("prepare snapshot %s: %w", key, err)
		}
		if info.Quota > 0 && kind == KindActive {
			qk, err := s.setupQuota(dir, info.ID, info.Quota)
			if err != nil {
				os.RemoveAll(dir)
				return fmt.Errorf("prepare snapshot %s: size quota: %w", key, err)
			}
			info.QuotaKind = qk
		} else {
			info.Quota = 0
			if err := mkdirs(dir, "", nil); err != nil {
				os.RemoveAll(dir)
				return fmt.Errorf("prepare snapshot %s: %w", key, err)
			}
		}
		var werr error
		if info.Volatile {
			werr = writeInfoNoSync(dir, info)
		} else {
			werr = writeInfo(dir, info)
		}
		if werr != nil {
			os.RemoveAll(dir)
			return fmt.Errorf("prepare snapshot %s: %w", key, werr)
		}
		ix.Snapshots[key] = info
		var err error
		ms, err = s.mounts(ix, info)
		return err
	})
	return ms, err
}

func mkdirs(dir, sub string, rec *cliplan.Recorder) error {
	base := filepath.Join(dir, sub)
	if err := os.MkdirAll(filepath.Join(base, "fs"), 0o755); err != nil {
		return err
	}
	rec.Op("mkdir", filepath.Join(base, "fs"), 0o755)
	rec.Op("mkdir", filepath.Join(base, "work"), 0o700)
	return os.MkdirAll(filepath.Join(base, "work"), 0o700)
}

// Mounts returns the mounts of an active or view snapshot, re-attaching its
// quota filesystem if a reboot detached it.
func (s *Snapshotter) Mounts(key string) ([]Mount, error) {
	ix, unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	info, ok := s.find(ix, key)
	if !ok {
		return nil, fmt.Errorf("mounts of %s: %w", key, ErrNotFound)
	}
	if info.QuotaKind == "loop" {
		if err := s.ensureLoop(s.dir(info.ID)); err != nil {
			return nil, fmt.Errorf("mounts of %s: %w", key, err)
		}
	}
	return s.mounts(ix, info)
}

func (s *Snapshotter) mounts(ix *index, info *Info) ([]Mount, error) {
	lowers, err := s.lowers(ix, info.Parent)
	if err != nil {
		return nil, err
	}
	if info.Kind == KindView || info.Kind == KindCommitted {
		if len(lowers) == 0 {
			return []Mount{{Type: "bind", Source: s.fsDir(info), Options: []string{"ro", "rbind"}}}, nil
		}
		if len(lowers) == 1 {
			return []Mount{{Type: "bind", Source: lowers[0], Options: []string{"ro", "rbind"}}}, nil
		}
		return []Mount{{Type: "overlay", Source: "overlay", Options: []string{"lowerdir=" + joinColon(lowers)}}}, nil
	}
	if len(lowers) == 0 {
		return []Mount{{Type: "bind", Source: s.fsDir(info), Options: []string{"rw", "rbind"}}}, nil
	}
	// The upper dir must stay a plain diff that WriteDiff and Changes can
	// read: no redirects or metadata-only copy-ups, whatever the kernel's
	// defaults.
	opts := []string{
		"index=off",
		"redirect_dir=off",
		"metacopy=off",
		"workdir=" + s.workDir(info),
		"upperdir=" + s.fsDir(info),
		"lowerdir=" + joinColon(lowers),
	}
	if info.Volatile {
		opts = append(opts, "volatile")
	}
	return []Mount{{Type: "overlay", Source: "overlay", Options: opts}}, nil
}

func joinColon(ss []string) string {
	out := ""
	for i, v := range ss {
		if i > 0 {
			out += ":"
		}
		out += v
	}
	return out
}

// lowers lists the fs dirs of parent and its ancestors, nearest first.
func (s *Snapshotter) lowers(ix *index, parent string) ([]string, error) {
	var out []string
	for p := parent; p != ""; {
		info, ok := ix.Snapshots[p]
		if !ok {
			return nil, fmt.Errorf("snapshot %s: %w", p, ErrNotFound)
		}
		out = append(out, s.fsDir(info))
		p = info.Parent
	}
	return out, nil
}

// Dirs returns a snapshot's own directory (the upper dir of an active one,
// the layer of a committed one) and the layers below it, nearest first:
// what diff, commit and export read.
func (s *Snapshotter) Dirs(key string) (upper string, lowers []string, err error) {
	ix, unlock, err := s.lock()
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	info, ok := s.find(ix, key)
	if !ok {
		return "", nil, fmt.Errorf("snapshot %s: %w", key, ErrNotFound)
	}
	lowers, err = s.lowers(ix, info.Parent)
	return s.fsDir(info), lowers, err
}

// Commit turns the active snapshot key into the committed snapshot name
// (a layer that children can be prepared on). The upper dir becomes the layer
// without copying.
func (s *Snapshotter) Commit(name, key string, opts ...Opt) error {
	linked := false
	err := s.update(func(ix *index) error {
		info, ok := ix.Snapshots[key]
		if !ok {
			info, linked = s.active(key)
		}
		if info == nil {
			return fmt.Errorf("commit %s: %w", key, ErrNotFound)
		}
		if info.Kind != KindActive {
			return fmt.Errorf("commit %s: not an active snapshot", key)
		}
		if _, ok := s.find(ix, name); ok {
			return fmt.Errorf("commit %s as %s: %w", key, name, ErrExists)
		}
		if info.QuotaKind == "loop" {
			return fmt.Errorf("commit %s: a size-limited snapshot cannot become a layer", key)
		}
		u, _ := diskUsage(s.fsDir(info))
		delete(ix.Snapshots, key)
		info.Key, info.Kind, info.Size, info.Created = name, KindCommitted, u.Size, time.Now().UTC()
		info.Labels, info.Volatile = nil, false
		for _, o := range opts {
			o(info)
		}
		if info.Parent != "" {
			if p, ok := ix.Snapshots[info.Parent]; !ok || p.Kind != KindCommitted || info.Parent == name {
				return fmt.Errorf("commit %s: parent %s is not a committed snapshot", key, info.Parent)
			}
		}
		os.RemoveAll(s.workDir(info))
		if err := writeInfo(s.dir(info.ID), info); err != nil {
			return fmt.Errorf("commit %s: %w", key, err)
		}
		ix.Snapshots[name] = info
		return nil
	})
	if err == nil && linked {
		// The layer is in the index: the link is stale from here.
		os.Remove(s.activeLink(key))
	}
	return err
}

// Remove deletes a snapshot that has no children, detaching its quota.
func (s *Snapshotter) Remove(key string) error { return s.RemoveRecorded(key, nil) }

// RemoveRecorded is Remove, recording an active snapshot's removal in rec
// (WithRecorder); any other removal refuses the plan.
func (s *Snapshotter) RemoveRecorded(key string, rec *cliplan.Recorder) error {
	if found, err := s.removeActive(key, rec); found {
		return err
	}
	var dir string
	nosync := false
	err := s.updateSync(&nosync, func(ix *index) error {
		info, ok := ix.Snapshots[key]
		if !ok {
			return fmt.Errorf("remove snapshot %s: %w", key, ErrNotFound)
		}
		nosync = info.Volatile
		act, _ := s.actives()
		for _, c := range append(act, values(ix.Snapshots)...) {
			if c.Parent == key {
				return fmt.Errorf("remove snapshot %s: %w (%s)", key, ErrInUse, c.Key)
			}
		}
		var err error
		if dir, err = s.detach(info); err != nil {
			return err
		}
		delete(ix.Snapshots, key)
		return nil
	})
	if err == nil {
		os.RemoveAll(dir)
	}
	return err
}

// detach releases a snapshot's quota and renames its directory away
// (returned, for the caller to remove once the record is gone). Rename
// first so a crash leaves an obvious leftover, not a directory that a
// later snapshot with the same id would reuse.
func (s *Snapshotter) detach(info *Info) (string, error) {
	dir := s.dir(info.ID)
	switch info.QuotaKind {
	case "loop":
		if err := unmountLoop(dir); err != nil {
			return "", fmt.Errorf("remove snapshot %s: %w", info.Key, err)
		}
	case "xfs":
		clearXFSQuota(dir, info.ID)
	}
	gone := filepath.Join(s.root, "removing-"+strconv.Itoa(info.ID))
	if err := os.Rename(dir, gone); err != nil && !os.IsNotExist(err) {
		return "", fmt.Errorf("remove snapshot %s: %w", info.Key, err)
	}
	return gone, nil
}

// Stat returns the info of one snapshot.
func (s *Snapshotter) Stat(key string) (Info, error) {
	ix, unlock, err := s.lock()
	if err != nil {
		return Info{}, err
	}
	defer unlock()
	info, ok := s.find(ix, key)
	if !ok {
		return Info{}, fmt.Errorf("snapshot %s: %w", key, ErrNotFound)
	}
	return *info, nil
}

// List returns every snapshot, sorted by key.
func (s *Snapshotter) List() ([]Info, error) { return s.list(true) }

// Committed returns the committed layers and views (the index), sorted by
// key: List without reading every container's snapshot.
func (s *Snapshotter) Committed() ([]Info, error) { return s.list(false) }

func (s *Snapshotter) list(active bool) ([]Info, error) {
	ix, unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make([]Info, 0, len(ix.Snapshots))
	for _, i := range ix.Snapshots {
		if active || i.Kind != KindActive {
			out = append(out, *i)
		}
	}
	if active {
		act, _ := s.actives()
		for _, i := range act {
			if _, dup := ix.Snapshots[i.Key]; !dup {
				out = append(out, *i)
			}
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Key < out[b].Key })
	return out, nil
}

// Usage measures the disk used by the snapshot's own directory (its upper
// dir for an active snapshot: what the container wrote).
func (s *Snapshotter) Usage(key string) (Usage, error) {
	info, err := s.Stat(key)
	if err != nil {
		return Usage{}, err
	}
	if info.Kind == KindCommitted && info.Size > 0 {
		return Usage{Size: info.Size}, nil
	}
	return diskUsage(s.fsDir(&info))
}

func (s *Snapshotter) dir(id int) string { return filepath.Join(s.root, strconv.Itoa(id)) }

func (s *Snapshotter) fsDir(i *Info) string {
	if i.QuotaKind == "loop" {
		return filepath.Join(s.dir(i.ID), "mnt", "fs")
	}
	return filepath.Join(s.dir(i.ID), "fs")
}

func (s *Snapshotter) workDir(i *Info) string {
	if i.QuotaKind == "loop" {
		return filepath.Join(s.dir(i.ID), "mnt", "work")
	}
	return filepath.Join(s.dir(i.ID), "work")
}

// lock takes the exclusive lock and reads the index.
func (s *Snapshotter) lock() (*index, func(), error) {
	unlock, err := s.lockOnly()
	if err != nil {
		return nil, nil, err
	}
	ix, err := s.readIndex()
	if err != nil {
		unlock()
		return nil, nil, fmt.Errorf("read snapshot index: %w", err)
	}
	return ix, unlock, nil
}

// lockOnly takes the lock without reading the index.
func (s *Snapshotter) lockOnly() (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.root, "lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock snapshots: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock snapshots: %w", err)
	}
	return func() { f.Close() }, nil
}

const infoFile = "info.json"

func writeInfo(dir string, info *Info) error {
	return atomicfile.WriteFileSync(filepath.Join(dir, infoFile), mustJSON(info), 0o600)
}

// writeInfoNoSync is for a volatile snapshot's record (see WithVolatile).
func writeInfoNoSync(dir string, info *Info) error {
	return atomicfile.WriteFile(filepath.Join(dir, infoFile), mustJSON(info), 0o600)
}

func timeNow() time.Time { return time.Now().UTC() }

// readIndex reads meta.json; a missing, truncated or garbled one is
// rebuilt from the snapshots' own info.json files (the damaged file is
// kept aside as meta.json.damaged), so that one bad write loses no
// container's layer and no image. Called under the lock.
func (s *Snapshotter) readIndex() (*index, error) {
	ix := &index{Snapshots: map[string]*Info{}}
	p := filepath.Join(s.root, "meta.json")
	b, err := os.ReadFile(p)
	if err == nil && jsonlite.Decode(b, ix) == nil && ix.Snapshots != nil {
		return ix, nil
	}
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	rebuilt, n, rerr := s.rebuildIndex()
	if rerr != nil {
		return nil, rerr
	}
	if err != nil && n == 0 {
		return ix, nil // a new store: no index, no snapshots
	}
	if err == nil {
		os.Rename(p, p+".damaged")
	}
	if werr := atomicfile.WriteFileSync(p, mustJSON(rebuilt), 0o600); werr != nil {
		return nil, werr
	}
	return rebuilt, nil
}

// rebuildIndex reads every numbered directory's info.json; n counts the
// directories seen, readable or not.
func (s *Snapshotter) rebuildIndex() (*index, int, error) {
	ix := &index{Snapshots: map[string]*Info{}}
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return nil, 0, err
	}
	n := 0
	for _, e := range ents {
		id, err := strconv.Atoi(e.Name())
		if err != nil || !e.IsDir() {
			continue
		}
		n++
		if id > ix.Next {
			ix.Next = id
		}
		b, err := os.ReadFile(filepath.Join(s.dir(id), infoFile))
		info := &Info{}
		if err != nil || jsonlite.Decode(b, info) != nil || info.Key == "" || info.ID != id {
			continue // no record: Cleanup reclaims it
		}
		if a, ok := s.active(info.Key); ok && a.ID == id {
			continue // recorded by its link
		}
		if old, ok := ix.Snapshots[info.Key]; ok && old.ID > id {
			continue
		}
		ix.Snapshots[info.Key] = info
	}
	return ix, n, nil
}

// update runs fn under the lock and saves the index if fn succeeds.
func (s *Snapshotter) update(fn func(*index) error) error {
	nosync := false
	return s.updateSync(&nosync, fn)
}

// updateSync is update; the index is saved without fsync if fn sets
// *nosync (it added or removed only a volatile snapshot: see WithVolatile).
func (s *Snapshotter) updateSync(nosync *bool, fn func(*index) error) error {
	ix, unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := fn(ix); err != nil {
		return err
	}
	if *nosync {
		return atomicfile.WriteFile(filepath.Join(s.root, "meta.json"), mustJSON(ix), 0o600)
	}
	return atomicfile.WriteFileSync(filepath.Join(s.root, "meta.json"), mustJSON(ix), 0o600)
}

func values(m map[string]*Info) []*Info {
	out := make([]*Info, 0, len(m))
	for _, i := range m {
		out = append(out, i)
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := jsonlite.Encode(v)
	if err != nil {
		panic(err) // only plain data is marshalled
	}
	return b
}

func diskUsage(dir string) (Usage, error) {
	var u Usage
	seen := map[uint64]bool{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		if seen[st.Ino] {
			return nil
		}
		seen[st.Ino] = true
		u.Inodes++
		u.Size += st.Blocks * 512
		return nil
	})
	return u, err
}

// Cleanup removes what a crash left behind: directories of removals that
// did not finish and of snapshots that never made it into the index.
func (s *Snapshotter) Cleanup() error {
	ix, unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	known := map[string]bool{}
	for _, i := range ix.Snapshots {
		known[strconv.Itoa(i.ID)] = true
	}
	act, stale := s.actives()
	for _, i := range act {
		known[strconv.Itoa(i.ID)] = true
	}
	for _, n := range stale {
		os.Remove(s.activeLink(n))
	}
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() || known[n] {
			continue
		}
		if _, err := strconv.Atoi(n); err != nil && !strings.HasPrefix(n, "removing-") {
			continue
		}
		unmountLoop(filepath.Join(s.root, n))
		os.RemoveAll(filepath.Join(s.root, n))
	}
	return nil
}
