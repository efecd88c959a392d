package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/image/reference"
	"github.com/jinn-containers/jinn/internal/jsonlite"
	"github.com/jinn-containers/jinn/internal/snapshot"
)

// Store is the image store under one --root.
type Store struct {
	dir     string // <root>/image
	content *Content
	snaps   *snapshot.Snapshotter
	inUse   InUseFunc
}

// Open opens (creating if needed) the image store under root, e.g.
// /var/lib/jinn: images in root/image, snapshots in root/snapshots.
func Open(root string, opts ...OpenOption) (*Store, error) {
	dir := filepath.Join(root, "image")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create image store %s: %w", dir, err)
	}
	c, err := openContent(filepath.Join(dir, "blobs"))
	if err != nil {
		return nil, err
	}
	sn, err := snapshot.Open(filepath.Join(root, "snapshots"))
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, content: c, snaps: sn}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Content is the blob store.
func (s *Store) Content() *Content { return s.content }

// Snapshots is the snapshotter holding layers and container rootfs: the
// engine prepares a container's rootfs with
// Snapshots().Prepare(containerID, string(img.ChainID), snapshot.WithSize(n)).
func (s *Store) Snapshots() *snapshot.Snapshotter { return s.snaps }

// Get resolves a reference (name, name:tag, name@sha256:…, image ID or a
// unique ID prefix) to an image. errors.Is(err, ErrNotFound) when none.
func (s *Store) Get(ref string) (*Image, error) { return s.get(ref, nil) }

// GetConfig is Get without the layers' sizes (Size is 0): what a run
// needs. Sizes come from the snapshot index, which holds every
// container's layer too, so reading it made each run slower the more
// containers there were.
func (s *Store) GetConfig(ref string) (*Image, error) { return s.get(ref, map[string]int64{}) }

// get is Get with the layers' sizes (nil: read from the snapshots).
func (s *Store) get(ref string, sizes map[string]int64) (*Image, error) {
	m, unlock, err := s.lockMeta()
	if err != nil {
		return nil, err
	}
	defer unlock()
	id, err := m.resolve(ref)
	if err != nil {
		return nil, err
	}
	return s.load(m, id, sizes)
}

// List returns every image, newest first.
func (s *Store) List() ([]*Image, error) {
	m, unlock, err := s.lockMeta()
	if err != nil {
		return nil, err
	}
	defer unlock()
	sizes := s.snapSizes()
	var out []*Image
	for id := range m.Images {
		img, err := s.load(m, id, sizes)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Created.Equal(out[b].Created) {
			return out[a].ID < out[b].ID
		}
		return out[a].Created.After(out[b].Created)
	})
	return out, nil
}

func (s *Store) snapSizes() map[string]int64 {
	out := map[string]int64{}
	infos, _ := s.snaps.Committed() // layer sizes: not the containers' snapshots
	for _, i := range infos {
		out[i.Key] = i.Size
	}
	return out
}

// load builds an Image from its record and blobs.
func (s *Store) load(m *meta, id digest.Digest, sizes map[string]int64) (*Image, error) {
	r, ok := m.Images[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	img := &Image{ID: id, Manifest: r.Manifest, MediaType: r.MediaType, Parent: r.Parent, LastTagTime: r.Tagged}
	cb, err := s.content.ReadAll(id)
	if err != nil {
		return nil, fmt.Errorf("image %s config: %w", id.Encoded()[:12], err)
	}
	if err := jsonlite.Decode(cb, &img.Config); err != nil {
		return nil, fmt.Errorf("image %s config: %w", id.Encoded()[:12], err)
	}
	if r.Manifest != "" {
		mb, err := s.content.ReadAll(r.Manifest)
		if err != nil {
			return nil, fmt.Errorf("image %s manifest: %w", id.Encoded()[:12], err)
		}
		var man ocispec.Manifest
		if err := jsonlite.Decode(mb, &man); err != nil {
			return nil, fmt.Errorf("image %s manifest: %w", id.Encoded()[:12], err)
		}
		img.Layers = man.Layers
	}
	img.DiffIDs = img.Config.RootFS.DiffIDs
	img.ChainID = ChainID(img.DiffIDs)
	if img.Config.Created != nil {
		img.Created = *img.Config.Created
	}
	if sizes == nil {
		sizes = s.snapSizes()
	}
	for i := range img.DiffIDs {
		img.Size += sizes[string(ChainID(img.DiffIDs[:i+1]))]
	}
	for ref, rid := range m.Refs {
		if rid != id {
			continue
		}
		if strings.Contains(ref, "@") {
			img.RepoDigests = append(img.RepoDigests, Familiar(ref))
		} else {
			img.RepoTags = append(img.RepoTags, Familiar(ref))
		}
	}
	sort.Strings(img.RepoTags)
	sort.Strings(img.RepoDigests)
	return img, nil
}

// Tag makes target (name or name:tag) point at the image ref names.
func (s *Store) Tag(ref, target string) error {
	n, err := ParseRef(target)
	if err != nil {
		return err
	}
	if _, ok := n.(reference.Digested); ok {
		return fmt.Errorf("tag %s: refusing to create a tag with a digest", target)
	}
	return s.updateMeta(func(m *meta) error {
		id, err := m.resolve(ref)
		if err != nil {
			return err
		}
		m.Refs[n.String()] = id
		m.tagged(id)
		return nil
	})
}

// tagged records that a reference was just pointed at id.
func (m *meta) tagged(id digest.Digest) {
	if r := m.Images[id]; r != nil {
		r.Tagged = time.Now().UTC()
	}
}

// setRefs points refs (full or familiar) at id, under the lock.
func (m *meta) setRefs(id digest.Digest, refs []string) error {
	for _, t := range refs {
		n, err := ParseRef(t)
		if err != nil {
			return err
		}
		m.Refs[n.String()] = id
	}
	if len(refs) > 0 {
		m.tagged(id)
	}
	return nil
}

// DeleteOptions tune Delete.
type DeleteOptions struct {
	Force   bool // remove even if tagged several times or in use
	NoPrune bool // keep untagged parents
}

// DeleteItem is one line of rmi's output.
type DeleteItem struct {
	Untagged string `json:"Untagged,omitempty"`
	Deleted  string `json:"Deleted,omitempty"`
}

// Delete removes a reference or an image as docker rmi does: a tag is
// untagged and the image deleted once nothing names it; an ID deletes the
// image (with -f even if several tags name it or a container uses it).
// Unreferenced blobs and layer snapshots are then collected.
func (s *Store) Delete(ref string, opts DeleteOptions) ([]DeleteItem, error) {
	var items []DeleteItem
	err := s.updateMeta(func(m *meta) error {
		id, err := m.resolve(ref)
		if err != nil {
			return err
		}
		var named string
		if _, isID := idCandidate(ref); !isID || !strings.HasPrefix(id.Encoded(), strings.TrimPrefix(ref, "sha256:")) {
			if n, err := ParseRef(ref); err == nil {
				named = n.String()
			}
		}
		refs := m.refsOf(id)
		if named != "" && len(refs) > 1 {
			// Only this name goes; the image stays for its other names.
			delete(m.Refs, named)
			items = append(items, DeleteItem{Untagged: Familiar(named)})
			return nil
		}
		if !opts.Force {
			if named == "" && len(refs) > 1 {
				return fmt.Errorf("%w: unable to delete %s (must be forced) - image is referenced in multiple repositories", ErrConflict, id.Encoded()[:12])
			}
			if users, err := s.users(id); err != nil {
				return err
			} else if len(users) > 0 {
				return fmt.Errorf("%w: unable to delete %s (must be forced) - image is being used by container %s: %w", ErrConflict, ref, users[0], ErrInUse)
			}
			for cid, r := range m.Images {
				if r.Parent == id && cid != id && len(m.refsOf(cid)) > 0 {
					return fmt.Errorf("%w: unable to delete %s (cannot be forced) - image has dependent child images", ErrConflict, id.Encoded()[:12])
				}
			}
		}
		for _, r := range refs {
			delete(m.Refs, r)
			items = append(items, DeleteItem{Untagged: Familiar(r)})
		}
		// Forced on an image in use, docker only untags it: the container
		// keeps its image, now dangling.
		if users, err := s.users(id); err == nil && len(users) > 0 {
			return nil
		}
		items = append(items, s.deleteImage(m, id, opts)...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.GC(); err != nil {
		return items, err
	}
	return items, nil
}

func (s *Store) deleteImage(m *meta, id digest.Digest, opts DeleteOptions) []DeleteItem {
	parent := m.Images[id].Parent
	delete(m.Images, id)
	items := []DeleteItem{{Deleted: id.String()}}
	if opts.NoPrune || parent == "" {
		return items
	}
	if _, ok := m.Images[parent]; !ok || len(m.refsOf(parent)) > 0 {
		return items
	}
	for _, r := range m.Images {
		if r.Parent == parent {
			return items
		}
	}
	if users, _ := s.users(parent); len(users) > 0 {
		return items
	}
	return append(items, s.deleteImage(m, parent, opts)...)
}

func (m *meta) refsOf(id digest.Digest) []string {
	var out []string
	for r, rid := range m.Refs {
		if rid == id {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Store) users(id digest.Digest) ([]string, error) {
	if s.inUse == nil {
		return nil, nil
	}
	u, err := s.inUse(id)
	if err != nil {
		return nil, fmt.Errorf("check whether image %s is in use: %w", id.Encoded()[:12], err)
	}
	return u, nil
}

// PruneOptions tune Prune.
type PruneOptions struct {
	All    bool                  // also tagged images no container uses (-a)
	Filter func(img *Image) bool // extra condition (--filter until=, label=)
}

// Prune deletes dangling images (untagged and without tagged children),
// or with All every image no container uses, and returns what it removed
// and the bytes reclaimed.
func (s *Store) Prune(opts PruneOptions) ([]DeleteItem, int64, error) {
	before := s.diskUsage()
	imgs, err := s.List()
	if err != nil {
		return nil, 0, err
	}
	var items []DeleteItem
	err = s.updateMeta(func(m *meta) error {
		for _, img := range imgs {
			if _, ok := m.Images[img.ID]; !ok {
				continue
			}
			if !opts.All && len(m.refsOf(img.ID)) > 0 {
				continue
			}
			if opts.Filter != nil && !opts.Filter(img) {
				continue
			}
			hasChild := false
			for cid, r := range m.Images {
				if r.Parent == img.ID && cid != img.ID {
					hasChild = true
				}
			}
			if hasChild && !opts.All {
				continue
			}
			if u, err := s.users(img.ID); err != nil {
				return err
			} else if len(u) > 0 {
				continue
			}
			for _, r := range m.refsOf(img.ID) {
				delete(m.Refs, r)
				items = append(items, DeleteItem{Untagged: Familiar(r)})
			}
			items = append(items, s.deleteImage(m, img.ID, DeleteOptions{NoPrune: true})...)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.GC(); err != nil {
		return items, 0, err
	}
	reclaimed := before - s.diskUsage()
	if reclaimed < 0 {
		reclaimed = 0
	}
	return items, reclaimed, nil
}

func (s *Store) diskUsage() int64 {
	var n int64
	s.content.Walk(func(_ digest.Digest, size int64) error { n += size; return nil })
	for _, v := range s.snapSizes() {
		n += v
	}
	return n
}

// GCResult tells what GC removed.
type GCResult struct {
	Blobs     []digest.Digest
	Snapshots []string
	Bytes     int64
}

// GC removes blobs that no image references (config, manifest, layers) and
// layer snapshots that no image's chain needs and no snapshot sits on,
// plus leftovers of interrupted unpacks.
func (s *Store) GC() (GCResult, error) {
	var res GCResult
	// While another process writes, only old leftovers are collected: its
	// new blobs and layers are not referenced yet.
	alone, release := s.gcExclusive()
	defer release()
	m, unlock, err := s.lockMeta()
	if err != nil {
		return res, err
	}
	defer unlock()
	liveBlobs := map[digest.Digest]bool{}
	liveChains := map[string]bool{}
	for id := range m.Images {
		img, err := s.load(m, id, map[string]int64{})
		if err != nil {
			// An image whose blobs are gone cannot keep anything alive,
			// but its manifest and config may still be there: keep those.
			liveBlobs[id] = true
			liveBlobs[m.Images[id].Manifest] = true
			continue
		}
		liveBlobs[id] = true
		liveBlobs[img.Manifest] = true
		for _, l := range img.Layers {
			liveBlobs[l.Digest] = true
		}
		for i := range img.DiffIDs {
			liveChains[string(ChainID(img.DiffIDs[:i+1]))] = true
		}
	}
	s.content.Walk(func(d digest.Digest, size int64) error {
		if !liveBlobs[d] && !m.leased(d) && (alone || s.content.old(d)) && s.content.Delete(d) == nil {
			res.Blobs = append(res.Blobs, d)
			res.Bytes += size
		}
		return nil
	})
	// Remove dead snapshots top-down: a removal can free its parent.
	for {
		infos, err := s.snaps.List()
		if err != nil {
			return res, err
		}
		parents := map[string]bool{}
		for _, i := range infos {
			parents[i.Parent] = true
		}
		removed := 0
		for _, i := range infos {
			dead := i.Kind == snapshot.KindCommitted && !liveChains[i.Key] && !parents[i.Key] &&
				!m.leased(digest.Digest(i.Key)) && (alone || staleTime(i.Created))
			// An unpack that crashed leaves an active snapshot labelled
			// as an extraction: garbage if no write is in progress (every
			// unpack holds the write lock) or if it is old.
			if i.Labels[labelExtract] != "" && (alone || staleExtract(i)) {
				dead = !parents[i.Key]
			}
			if dead && s.snaps.Remove(i.Key) == nil {
				res.Snapshots = append(res.Snapshots, i.Key)
				res.Bytes += i.Size
				removed++
			}
		}
		if removed == 0 {
			break
		}
	}
	if alone {
		s.snaps.Cleanup()
	}
	// Temporary blobs of crashed writers.
	if ents, err := os.ReadDir(filepath.Join(s.dir, "blobs", "tmp")); err == nil {
		for _, e := range ents {
			if fi, err := e.Info(); err == nil && (alone || staleTime(fi.ModTime())) {
				os.Remove(filepath.Join(s.dir, "blobs", "tmp", e.Name()))
			}
		}
	}
	return res, nil
}

// IsNotFound tells a missing image (or blob) from other failures.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// writing marks a store write in progress (a shared flock) so that a
// concurrent GC leaves recent unreferenced blobs and layers alone.
func (s *Store) writing() func() {
	f, err := os.OpenFile(filepath.Join(s.dir, "gc.lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return func() {}
	}
	unix.Flock(int(f.Fd()), unix.LOCK_SH)
	return func() { f.Close() }
}

// gcExclusive tells whether no write is in progress, holding that until
// release is called.
func (s *Store) gcExclusive() (bool, func()) {
	f, err := os.OpenFile(filepath.Join(s.dir, "gc.lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return false, func() {}
	}
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		f.Close()
		return false, func() {}
	}
	return true, func() { f.Close() }
}
