package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/jinn-containers/jinn/internal/image/archive"
	"github.com/jinn-containers/jinn/internal/image/reference"
)

// Media types of docker's schema 2, read alongside OCI's.
const (
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayer        = "application/vnd.docker.image.rootfs.diff.tar"
	MediaTypeDockerLayerGzip    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

// archiveFiles is a load in progress: each file of the tar either kept in
// memory (small JSON) or streamed into the blob store.
type archiveFiles struct {
	small map[string][]byte
	blobs map[string]ocispec.Descriptor
	links map[string]string
}

func (f *archiveFiles) read(name string) ([]byte, bool) {
	name = path.Clean(name)
	if t, ok := f.links[name]; ok {
		name = t
	}
	b, ok := f.small[name]
	return b, ok
}

func (f *archiveFiles) blob(name string) (ocispec.Descriptor, bool) {
	name = path.Clean(name)
	if t, ok := f.links[name]; ok {
		name = t
	}
	d, ok := f.blobs[name]
	return d, ok
}

func (s *Store) load2(ctx context.Context, r io.Reader, opts LoadOptions) ([]string, error) {
	if opts.Platform.OS == "" {
		opts.Platform = DefaultPlatform()
	}
	done := s.writing()
	released := false
	release := func() {
		if !released {
			released = true
			done()
		}
	}
	defer release()
	files := &archiveFiles{small: map[string][]byte{}, blobs: map[string]ocispec.Descriptor{}, links: map[string]string{}}
	plain, _, err := archive.Decompress(r)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	tr := tar.NewReader(plain)
	n := 0
	var smallBytes int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("load: read archive: %w", err)
		}
		n++
		name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		switch hdr.Typeflag {
		case tar.TypeSymlink, tar.TypeLink:
			// docker-archive dedups layers with links between files.
			target := hdr.Linkname
			if hdr.Typeflag == tar.TypeSymlink {
				target = path.Join(path.Dir(name), target)
			}
			files.links[name] = path.Clean(target)
			continue
		case tar.TypeReg, tar.TypeRegA:
		default:
			continue
		}
		if hdr.Size <= 1<<20 && !strings.HasPrefix(name, "blobs/") || hdr.Size <= 64<<10 {
			// Metadata is kept in memory, within a bound.
			if smallBytes += hdr.Size; smallBytes > 64<<20 {
				return nil, fmt.Errorf("load: too much metadata in the archive (over 64MB of small files)")
			}
			b, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
			if err != nil || int64(len(b)) != hdr.Size {
				return nil, fmt.Errorf("load: %s: truncated archive", name)
			}
			files.small[name] = b
		}
		var expect digest.Digest
		if rest, ok := strings.CutPrefix(name, "blobs/sha256/"); ok {
			expect = digest.NewDigestFromEncoded(digest.SHA256, rest)
		}
		var src io.Reader = tr
		if b, ok := files.small[name]; ok {
			src = bytes.NewReader(b)
		}
		desc, err := s.StoreBlob(src, expect, hdr.Size)
		if err != nil {
			return nil, fmt.Errorf("load: %s: %w", name, err)
		}
		files.blobs[name] = desc
	}
	if n == 0 {
		return nil, fmt.Errorf("load: empty or invalid archive")
	}
	var loaded []string
	if _, ok := files.read("index.json"); ok {
		loaded, err = s.loadOCI(ctx, files, opts)
	} else if _, ok := files.read("manifest.json"); ok {
		loaded, err = s.loadDocker(ctx, files, opts)
	} else {
		err = fmt.Errorf("load: neither a docker-archive (manifest.json) nor an OCI layout (index.json)")
	}
	release()
	if err != nil {
		s.GC() // drop the blobs this load stored
		return nil, err
	}
	if opts.Progress != nil {
		for _, l := range loaded {
			if strings.HasPrefix(l, "sha256:") {
				fmt.Fprintf(opts.Progress, "Loaded image ID: %s\n", l)
			} else {
				fmt.Fprintf(opts.Progress, "Loaded image: %s\n", l)
			}
		}
	}
	s.GC()
	return loaded, nil
}

type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func (s *Store) loadDocker(ctx context.Context, files *archiveFiles, opts LoadOptions) ([]string, error) {
	b, _ := files.read("manifest.json")
	var entries []dockerManifestEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("load: manifest.json: %w", err)
	}
	var loaded []string
	for _, e := range entries {
		cdesc, ok := files.blob(e.Config)
		if !ok {
			return nil, fmt.Errorf("load: config %s missing from the archive", e.Config)
		}
		cb, err := s.content.ReadAll(cdesc.Digest)
		if err != nil {
			return nil, err
		}
		var cfg Config
		if err := json.Unmarshal(cb, &cfg); err != nil {
			return nil, fmt.Errorf("load: config %s: %w", e.Config, err)
		}
		if len(cfg.RootFS.DiffIDs) != len(e.Layers) {
			return nil, fmt.Errorf("load: %s has %d layers but its config %d diff IDs", e.Config, len(e.Layers), len(cfg.RootFS.DiffIDs))
		}
		man := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Layers: []ocispec.Descriptor{}}
		man.SchemaVersion = 2
		man.Config = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cdesc.Digest, Size: cdesc.Size}
		for _, lp := range e.Layers {
			ld, ok := files.blob(lp)
			if !ok {
				return nil, fmt.Errorf("load: layer %s missing from the archive", lp)
			}
			ld.MediaType = s.layerMediaType(ld.Digest)
			man.Layers = append(man.Layers, ld)
		}
		if err := s.unpackAll(ctx, man.Layers, cfg.RootFS.DiffIDs, func(digest.Digest) error { return nil }); err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		var tags []string
		for _, t := range e.RepoTags {
			if err := checkRepoTag(t); err != nil {
				warn(opts.Warn, "skipping invalid RepoTags entry of manifest.json: %v", err)
				continue
			}
			tags = append(tags, t)
		}
		if _, err := s.record(man, nil, AddOptions{Tags: tags}); err != nil {
			return nil, err
		}
		if len(tags) == 0 {
			loaded = append(loaded, cdesc.Digest.String())
		}
		for _, t := range tags {
			loaded = append(loaded, Familiar(t))
		}
	}
	return loaded, nil
}

// checkRepoTag accepts what docker load tags an image with: a name with
// a tag, no digest.
func checkRepoTag(t string) error {
	n, err := reference.ParseNormalizedNamed(t)
	if err != nil {
		return fmt.Errorf("%q: %s", clip(t), clip(err.Error()))
	}
	if _, ok := n.(reference.Digested); ok {
		return fmt.Errorf("%q: a tag cannot hold a digest", clip(t))
	}
	return nil
}

// warn writes one warning line to w, or to the log without one.
func warn(w io.Writer, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if w == nil {
		slog.Warn(msg)
		return
	}
	fmt.Fprintf(w, "Warning: %s\n", msg)
}

// clip keeps an echoed value from an archive to one readable line.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func (s *Store) layerMediaType(d digest.Digest) string {
	rc, err := s.content.Open(d)
	if err != nil {
		return ocispec.MediaTypeImageLayer
	}
	defer rc.Close()
	head := make([]byte, 4)
	io.ReadFull(rc, head)
	switch archive.Detect(head) {
	case archive.Gzip:
		return ocispec.MediaTypeImageLayerGzip
	case archive.Zstd:
		return ocispec.MediaTypeImageLayerZstd
	}
	return ocispec.MediaTypeImageLayer
}

// Annotations naming an image in an OCI layout.
const (
	annotationRefName        = ocispec.AnnotationRefName // "latest" or a full name
	annotationContainerdName = "io.containerd.image.name"
)

func (s *Store) loadOCI(ctx context.Context, files *archiveFiles, opts LoadOptions) ([]string, error) {
	b, _ := files.read("index.json")
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("load: index.json: %w", err)
	}
	var loaded []string
	for _, d := range idx.Manifests {
		var name string
		if n := d.Annotations[annotationContainerdName]; n != "" {
			name = n
		} else if n := d.Annotations[annotationRefName]; n != "" {
			if r, err := reference.ParseNormalizedNamed(n); err == nil && strings.ContainsAny(n, ":/") {
				name = r.String()
			}
		}
		img, err := s.storeManifest(ctx, d, opts.Platform, func(dg digest.Digest) error {
			if !s.content.Has(dg) {
				return fmt.Errorf("blob %s missing from the archive", dg)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		if name != "" {
			if err := s.Tag(img.ID.String(), name); err != nil {
				return nil, err
			}
			loaded = append(loaded, Familiar(name))
		} else {
			loaded = append(loaded, img.ID.String())
		}
	}
	return loaded, nil
}

// storeManifest records the image that descriptor d (a manifest or an index,
// whose blobs are stored) describes, choosing platform from an index and
// unpacking the layers. need checks (or fetches) each blob before use.
func (s *Store) storeManifest(ctx context.Context, d ocispec.Descriptor, platform ocispec.Platform, need func(digest.Digest) error) (*Image, error) {
	for depth := 0; depth < 4; depth++ {
		if err := need(d.Digest); err != nil {
			return nil, err
		}
		if err := s.checkDescriptor("manifest", d); err != nil {
			return nil, err
		}
		raw, err := s.content.ReadAll(d.Digest)
		if err != nil {
			return nil, err
		}
		var probe struct {
			MediaType string            `json:"mediaType"`
			Manifests []json.RawMessage `json:"manifests"`
		}
		json.Unmarshal(raw, &probe)
		mt := probe.MediaType
		if mt == "" {
			mt = d.MediaType
		}
		if mt == ocispec.MediaTypeImageIndex || mt == MediaTypeDockerManifestList || (mt == "" && probe.Manifests != nil) {
			var idx ocispec.Index
			if err := json.Unmarshal(raw, &idx); err != nil {
				return nil, fmt.Errorf("index %s: %w", d.Digest, err)
			}
			next, err := pickPlatform(idx, platform)
			if err != nil {
				return nil, err
			}
			d = next
			continue
		}
		var man ocispec.Manifest
		if err := json.Unmarshal(raw, &man); err != nil {
			return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
		}
		if man.Config.Digest == "" {
			return nil, fmt.Errorf("manifest %s: no config (schema 1 manifests are not supported)", d.Digest)
		}
		if man.MediaType == "" {
			man.MediaType = mt
		}
		if err := need(man.Config.Digest); err != nil {
			return nil, err
		}
		if err := s.checkDescriptor("config", man.Config); err != nil {
			return nil, err
		}
		for _, l := range man.Layers {
			if err := s.checkDescriptor("layer", l); err != nil {
				return nil, err
			}
		}
		cb, err := s.content.ReadAll(man.Config.Digest)
		if err != nil {
			return nil, err
		}
		var cfg Config
		if err := json.Unmarshal(cb, &cfg); err != nil {
			return nil, fmt.Errorf("config %s: %w", man.Config.Digest, err)
		}
		if len(cfg.RootFS.DiffIDs) != len(man.Layers) {
			return nil, fmt.Errorf("manifest %s has %d layers but its config %d diff IDs", d.Digest, len(man.Layers), len(cfg.RootFS.DiffIDs))
		}
		if err := s.unpackAll(ctx, man.Layers, cfg.RootFS.DiffIDs, need); err != nil {
			return nil, err
		}
		for _, l := range man.Layers { // the ones fetched by need just now
			if err := s.checkDescriptor("layer", l); err != nil {
				return nil, err
			}
		}
		return s.record(man, raw, AddOptions{})
	}
	return nil, errors.New("indexes nested too deep")
}

// checkDescriptor refuses a descriptor whose size is negative or is not
// the size of its stored blob (the OCI spec's MUST): a size is what
// readers bound their reads by and what push and df report.
func (s *Store) checkDescriptor(what string, d ocispec.Descriptor) error {
	if d.Size < 0 {
		return fmt.Errorf("%s %s: invalid descriptor size %d", what, d.Digest, d.Size)
	}
	n, err := s.content.Size(d.Digest)
	if err != nil {
		return nil // not stored yet: need fetches and checks it
	}
	if n != d.Size {
		return fmt.Errorf("%s %s: descriptor size %d, but the blob has %d bytes", what, d.Digest, d.Size, n)
	}
	return nil
}

func pickPlatform(idx ocispec.Index, want ocispec.Platform) (ocispec.Descriptor, error) {
	var avail []string
	for _, m := range idx.Manifests {
		if matchPlatform(want, m.Platform) {
			return m, nil
		}
		if m.Platform != nil {
			avail = append(avail, m.Platform.OS+"/"+m.Platform.Architecture)
		}
	}
	// An index with one untagged manifest (an OCI layout of one image).
	if len(idx.Manifests) == 1 && idx.Manifests[0].Platform == nil {
		return idx.Manifests[0], nil
	}
	return ocispec.Descriptor{}, fmt.Errorf("no image for platform %s/%s (available: %s)", want.OS, want.Architecture, strings.Join(avail, ", "))
}
