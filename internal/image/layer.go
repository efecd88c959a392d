package image

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/jinn-containers/jinn/internal/image/archive"
	"github.com/jinn-containers/jinn/internal/snapshot"
)

const labelExtract = "jinn.extract"

func staleTime(t time.Time) bool { return time.Since(t) > 10*time.Minute }

func staleExtract(i snapshot.Info) bool { return staleTime(i.Created) }

func randomKey(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// StoreBlob copies r into the blob store. With expected set the content
// must match its digest (and size when >= 0), or nothing is stored.
func (s *Store) StoreBlob(r io.Reader, expected digest.Digest, size int64) (ocispec.Descriptor, error) {
	done := s.writing()
	defer done()
	if expected != "" && s.content.Has(expected) {
		n, err := s.content.Size(expected)
		return ocispec.Descriptor{Digest: expected, Size: n}, err
	}
	w, err := s.content.Writer()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer w.Abort()
	if size >= 0 {
		// A known size bounds the read: a source sending more is cut
		// one byte past it and fails the size check, not fills the disk.
		r = io.LimitReader(r, size+1)
	}
	if _, err := io.Copy(w, r); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("write blob: %w", err)
	}
	d, err := w.Commit(expected, size)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return ocispec.Descriptor{Digest: d, Size: w.Size()}, nil
}

// AddLayer stores the layer tarball r (gzip, zstd or plain) as a blob and
// unpacks it on the layer parent (a chain ID, "" for a base layer). It is
// what import and the builder's ADD of a tarball use.
func (s *Store) AddLayer(ctx context.Context, parent digest.Digest, r io.Reader) (Layer, error) {
	desc, err := s.StoreBlob(r, "", -1)
	if err != nil {
		return Layer{}, err
	}
	desc.MediaType = ocispec.MediaTypeImageLayer
	if rc, err := s.content.Open(desc.Digest); err == nil {
		head := make([]byte, 4)
		io.ReadFull(rc, head)
		rc.Close()
		switch archive.Detect(head) {
		case archive.Gzip:
			desc.MediaType = ocispec.MediaTypeImageLayerGzip
		case archive.Zstd:
			desc.MediaType = ocispec.MediaTypeImageLayerZstd
		}
	}
	l, err := s.Unpack(ctx, parent, desc, "")
	if err != nil {
		return l, err
	}
	return l, s.lease(l)
}

// lease keeps a new layer's blob and snapshot from GC until AddImage.
func (s *Store) lease(l Layer) error {
	return s.updateMeta(func(m *meta) error {
		now := time.Now()
		m.Leases[l.Blob.Digest] = now
		m.Leases[l.ChainID] = now
		return nil
	})
}

// Unpack unpacks the stored layer blob desc on the layer parent into the
// committed snapshot of its chain ID, unless that snapshot exists already
// (layers are unpacked once and shared). If diffID is set the uncompressed
// content must match it. On any error nothing of the layer remains.
func (s *Store) Unpack(ctx context.Context, parent digest.Digest, desc ocispec.Descriptor, diffID digest.Digest) (Layer, error) {
	done := s.writing()
	defer done()
	if diffID != "" {
		if l, ok := s.haveLayer(parent, desc, diffID); ok {
			return l, nil
		}
	}
	key, got, err := s.extract(ctx, desc, diffID)
	if err != nil {
		return Layer{Blob: desc, DiffID: diffID}, err
	}
	return s.stack(key, parent, desc, got)
}

// haveLayer tells whether the layer is unpacked on parent already.
func (s *Store) haveLayer(parent digest.Digest, desc ocispec.Descriptor, diffID digest.Digest) (Layer, bool) {
	l := Layer{Blob: desc, DiffID: diffID, ChainID: chainOn(parent, diffID)}
	info, err := s.snaps.Stat(string(l.ChainID))
	if err != nil || info.Kind != snapshot.KindCommitted {
		return l, false
	}
	l.Size = info.Size
	return l, true
}

// extract unpacks blob desc into a new parentless active snapshot and
// returns its key and the digest of the uncompressed content (checked
// against diffID if set). A layer's content does not depend on the layers
// below it (whiteouts are recorded, not applied), so layers extract in
// parallel and are stacked afterwards. On error nothing remains.
func (s *Store) extract(ctx context.Context, desc ocispec.Descriptor, diffID digest.Digest) (key string, got digest.Digest, err error) {
	key = randomKey("extract-")
	if _, err := s.snaps.Prepare(key, "", snapshot.WithLabels(map[string]string{labelExtract: desc.Digest.String()})); err != nil {
		return "", "", fmt.Errorf("unpack layer %s: %w", desc.Digest, err)
	}
	defer func() {
		if err != nil {
			s.snaps.Remove(key)
		}
	}()
	upper, _, err := s.snaps.Dirs(key)
	if err != nil {
		return "", "", err
	}
	rc, err := s.content.Open(desc.Digest)
	if err != nil {
		return "", "", fmt.Errorf("unpack layer %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	plain, _, err := archive.Decompress(rc)
	if err != nil {
		return "", "", fmt.Errorf("unpack layer %s: %w", desc.Digest, err)
	}
	defer plain.Close()
	dg := digest.SHA256.Digester()
	if _, err := archive.Apply(ctx, upper, io.TeeReader(plain, dg.Hash()), archive.ApplyOptions{}); err != nil {
		return "", "", fmt.Errorf("unpack layer %s: %w", desc.Digest, err)
	}
	// Drain the tar's trailing padding so the digest covers every byte.
	if _, err := io.Copy(dg.Hash(), plain); err != nil {
		return "", "", fmt.Errorf("unpack layer %s: %w", desc.Digest, err)
	}
	got = dg.Digest()
	if diffID != "" && got != diffID {
		return "", "", fmt.Errorf("unpack layer %s: uncompressed digest %s does not match diff ID %s", desc.Digest, got, diffID)
	}
	return key, got, nil
}

// stack commits the extracted snapshot key as the layer diffID on parent.
func (s *Store) stack(key string, parent digest.Digest, desc ocispec.Descriptor, diffID digest.Digest) (Layer, error) {
	l := Layer{Blob: desc, DiffID: diffID, ChainID: chainOn(parent, diffID)}
	err := s.snaps.Commit(string(l.ChainID), key, snapshot.WithParent(string(parent)))
	if errors.Is(err, snapshot.ErrExists) {
		s.snaps.Remove(key) // unpacked meanwhile by another process
		err = nil
	}
	if err != nil {
		s.snaps.Remove(key)
		return l, fmt.Errorf("unpack layer %s: %w", desc.Digest, err)
	}
	if info, err := s.snaps.Stat(string(l.ChainID)); err == nil {
		l.Size = info.Size
	}
	return l, nil
}

// unpackAll unpacks an image's layers (bottom first, with their diff IDs):
// those not unpacked yet extract in parallel, each once need says its blob
// is there, and are stacked in order. On error no new layer remains.
func (s *Store) unpackAll(ctx context.Context, layers []ocispec.Descriptor, diffIDs []digest.Digest, need func(digest.Digest) error) error {
	done := s.writing()
	defer done()
	type result struct {
		key string
		err error
	}
	results := make([]chan result, len(layers))
	sem := make(chan struct{}, 2)
	var parent digest.Digest
	for i, l := range layers {
		results[i] = make(chan result, 1)
		if _, ok := s.haveLayer(parent, l, diffIDs[i]); ok {
			results[i] <- result{}
		} else {
			go func(i int, l ocispec.Descriptor) {
				if err := need(l.Digest); err != nil {
					results[i] <- result{err: err}
					return
				}
				sem <- struct{}{}
				defer func() { <-sem }()
				key, _, err := s.extract(ctx, l, diffIDs[i])
				results[i] <- result{key, err}
			}(i, l)
		}
		parent = chainOn(parent, diffIDs[i])
	}
	var firstErr error
	parent = ""
	for i, l := range layers {
		r := <-results[i]
		switch {
		case r.err != nil && firstErr == nil:
			firstErr = r.err
		case r.key != "" && firstErr != nil:
			s.snaps.Remove(r.key)
		case r.key != "":
			if _, err := s.stack(r.key, parent, l, diffIDs[i]); err != nil {
				firstErr = err
			}
		}
		parent = chainOn(parent, diffIDs[i])
	}
	return firstErr
}

func chainOn(parent, diffID digest.Digest) digest.Digest {
	if parent == "" {
		return diffID
	}
	return digest.FromString(parent.String() + " " + diffID.String())
}

// CreateLayer turns the changes in an active snapshot (a container's or a
// build step's upper dir) into a layer: a tar blob and a committed
// snapshot on the snapshot's parent. The active snapshot is left as is.
func (s *Store) CreateLayer(ctx context.Context, key string) (Layer, error) {
	done := s.writing()
	defer done()
	info, err := s.snaps.Stat(key)
	if err != nil {
		return Layer{}, err
	}
	upper, _, err := s.snaps.Dirs(key)
	if err != nil {
		return Layer{}, err
	}
	w, err := s.content.Writer()
	if err != nil {
		return Layer{}, err
	}
	defer w.Abort()
	if err := archive.WriteDiff(ctx, upper, w); err != nil {
		return Layer{}, fmt.Errorf("write layer of %s: %w", key, err)
	}
	d, err := w.Commit("", -1)
	if err != nil {
		return Layer{}, err
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: d, Size: w.Size()}
	l, err := s.Unpack(ctx, digest.Digest(info.Parent), desc, d)
	if err != nil {
		return l, err
	}
	return l, s.lease(l)
}

// AddOptions tune AddImage.
type AddOptions struct {
	Tags   []string      // references to point at the new image
	Parent digest.Digest // local parent image (commit, build)
}

// AddImage records an image made of layers (bottom first) with config cfg:
// cfg.RootFS is set from the layers, Created/OS/Architecture defaulted.
// The config and an OCI manifest are stored as blobs.
func (s *Store) AddImage(ctx context.Context, cfg Config, layers []Layer, opts AddOptions) (*Image, error) {
	done := s.writing()
	defer done()
	cfg.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}}
	man := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Layers: []ocispec.Descriptor{}}
	man.SchemaVersion = 2
	for _, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.DiffID)
		man.Layers = append(man.Layers, ocispec.Descriptor{MediaType: l.Blob.MediaType, Digest: l.Blob.Digest, Size: l.Blob.Size})
	}
	if cfg.Created == nil {
		now := time.Now().UTC()
		cfg.Created = &now
	}
	if cfg.OS == "" {
		cfg.OS = "linux"
	}
	if cfg.Architecture == "" {
		cfg.Architecture = defaultArch()
	}
	cb, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	id, err := s.content.Put(cb)
	if err != nil {
		return nil, err
	}
	man.Config = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: id, Size: int64(len(cb))}
	return s.record(man, nil, opts)
}

// record stores manifest man (marshalled unless raw is given) and points
// the image and its tags at it.
func (s *Store) record(man ocispec.Manifest, raw []byte, opts AddOptions) (*Image, error) {
	if raw == nil {
		var err error
		if raw, err = json.Marshal(man); err != nil {
			return nil, err
		}
	}
	md, err := s.content.Put(raw)
	if err != nil {
		return nil, err
	}
	mt := man.MediaType
	if mt == "" {
		mt = ocispec.MediaTypeImageManifest
	}
	id := man.Config.Digest
	var img *Image
	err = s.updateMeta(func(m *meta) error {
		if old, ok := m.Images[id]; ok && opts.Parent == "" {
			opts.Parent = old.Parent
		}
		m.Images[id] = &record{Manifest: md, MediaType: mt, Parent: opts.Parent, Added: time.Now().UTC()}
		for _, l := range man.Layers {
			delete(m.Leases, l.Digest)
		}
		for d, t := range m.Leases {
			if time.Since(t) >= leaseTTL {
				delete(m.Leases, d)
			}
		}
		if err := m.setRefs(id, opts.Tags); err != nil {
			return err
		}
		img, err = s.load(m, id, nil)
		if err != nil {
			return err
		}
		for i := range img.DiffIDs {
			delete(m.Leases, ChainID(img.DiffIDs[:i+1]))
		}
		return nil
	})
	return img, err
}

// CommitOptions tune Commit (docker commit).
type CommitOptions struct {
	// Config replaces the base image's runtime config when set (commit
	// puts the container's settings and --change in it).
	Config    *ocispec.ImageConfig
	Author    string
	Comment   string
	CreatedBy string // history line, e.g. the container's command
	Tags      []string
}

// Commit makes a new image from base plus the changes in the active
// snapshot key (a container's rootfs). The container keeps running on its
// snapshot.
func (s *Store) Commit(ctx context.Context, key string, base *Image, opts CommitOptions) (*Image, error) {
	l, err := s.CreateLayer(ctx, key)
	if err != nil {
		return nil, err
	}
	var cfg Config
	var layers []Layer
	var parent digest.Digest
	if base != nil {
		cfg = base.Config
		cfg.History = append([]ocispec.History(nil), base.Config.History...)
		parent = base.ID
		for i, d := range base.DiffIDs {
			var desc ocispec.Descriptor
			if i < len(base.Layers) {
				desc = base.Layers[i]
			}
			layers = append(layers, Layer{Blob: desc, DiffID: d, ChainID: ChainID(base.DiffIDs[:i+1])})
		}
	}
	if opts.Config != nil {
		cfg.Config.ImageConfig = *opts.Config
	}
	now := time.Now().UTC()
	cfg.Created = &now
	cfg.Author = opts.Author
	cfg.History = append(cfg.History, ocispec.History{Created: &now, CreatedBy: opts.CreatedBy, Author: opts.Author, Comment: opts.Comment})
	layers = append(layers, l)
	return s.AddImage(ctx, cfg, layers, AddOptions{Tags: opts.Tags, Parent: parent})
}

// Changes lists what the active snapshot key changed (docker diff).
func (s *Store) Changes(key string) ([]archive.Change, error) {
	upper, lowers, err := s.snaps.Dirs(key)
	if err != nil {
		return nil, err
	}
	return archive.Changes(upper, lowers)
}

// Export writes the merged filesystem of snapshot key as a tar (docker
// export), mounting it on a private temporary directory meanwhile.
func (s *Store) Export(ctx context.Context, key string, w io.Writer) error {
	ms, err := s.snaps.Mounts(key)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(s.dir, "export-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := snapshot.MountAll(readOnly(ms), tmp); err != nil {
		return fmt.Errorf("export %s: %w", key, err)
	}
	defer snapshot.UnmountAll(tmp)
	return archive.WriteDir(ctx, tmp, w)
}

// readOnly adapts an active snapshot's mounts for reading alongside a
// running container (nodev, nosuid: the engine's view of a container's
// files never reaches a device): overlay with the same upper dir twice is refused by
// the kernel, so read the upper as just another lower.
func readOnly(ms []snapshot.Mount) []snapshot.Mount {
	out := make([]snapshot.Mount, len(ms))
	for i, m := range ms {
		out[i] = m
		if m.Type != "overlay" {
			continue
		}
		var upper, lower string
		for _, o := range m.Options {
			if v, ok := cutPrefix(o, "upperdir="); ok {
				upper = v
			}
			if v, ok := cutPrefix(o, "lowerdir="); ok {
				lower = v
			}
		}
		if upper != "" {
			out[i].Options = []string{"ro", "nodev", "nosuid", "lowerdir=" + upper + ":" + lower}
		}
	}
	return out
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return "", false
}
