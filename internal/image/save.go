package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/jinn-containers/jinn/internal/image/archive"
	"github.com/jinn-containers/jinn/internal/image/reference"
)

type saveItem struct {
	img  *Image
	tags []string // full references given (or all the image's tags)
}

func (s *Store) save(ctx context.Context, refs []string, w io.Writer, format SaveFormat) error {
	if len(refs) == 0 {
		return fmt.Errorf("save: no images given")
	}
	var items []*saveItem
	byID := map[digest.Digest]*saveItem{}
	for _, r := range refs {
		img, err := s.Get(r)
		if err != nil {
			return err
		}
		it := byID[img.ID]
		if it == nil {
			it = &saveItem{img: img}
			byID[img.ID] = it
			items = append(items, it)
		}
		if _, isID := idCandidate(r); !isID || len(img.RepoTags) == 0 {
			if n, err := ParseRef(r); err == nil {
				if _, dg := n.(reference.Digested); !dg {
					it.tags = append(it.tags, n.String())
				}
			}
		} else {
			for _, t := range img.RepoTags {
				n, _ := ParseRef(t)
				it.tags = append(it.tags, n.String())
			}
		}
	}
	tw := tar.NewWriter(w)
	var err error
	switch format {
	case FormatDockerArchive, "":
		err = s.saveDocker(ctx, tw, items)
	case FormatOCIArchive:
		err = s.saveOCI(ctx, tw, items)
	default:
		err = fmt.Errorf("save: unknown format %q (docker-archive or oci-archive)", format)
	}
	if err != nil {
		return err
	}
	return tw.Close()
}

var epoch = time.Unix(0, 0)

func writeBytes(tw *tar.Writer, name string, b []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

func writeDir(tw *tar.Writer, name string) error {
	return tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, ModTime: epoch, Typeflag: tar.TypeDir})
}

func (s *Store) writeBlob(tw *tar.Writer, name string, d digest.Digest) error {
	size, err := s.content.Size(d)
	if err != nil {
		return err
	}
	rc, err := s.content.Open(d)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, rc); err != nil {
		return fmt.Errorf("save blob %s: %w", d, err)
	}
	return nil
}

// saveDocker writes docker's archive: <config hex>.json, one uncompressed
// <diffID hex>.tar per layer and manifest.json (what docker and podman load).
func (s *Store) saveDocker(ctx context.Context, tw *tar.Writer, items []*saveItem) error {
	var entries []dockerManifestEntry
	written := map[string]bool{}
	repos := map[string]map[string]string{}
	for _, it := range items {
		img := it.img
		e := dockerManifestEntry{Config: img.ID.Encoded() + ".json", RepoTags: []string{}, Layers: []string{}}
		for _, t := range it.tags {
			e.RepoTags = append(e.RepoTags, Familiar(t))
			if n, err := reference.ParseNormalizedNamed(t); err == nil {
				if tg, ok := n.(reference.Tagged); ok {
					fam := reference.FamiliarName(n)
					if repos[fam] == nil {
						repos[fam] = map[string]string{}
					}
					repos[fam][tg.Tag()] = img.ID.Encoded()
				}
			}
		}
		if !written[e.Config] {
			if err := s.writeBlob(tw, e.Config, img.ID); err != nil {
				return err
			}
			written[e.Config] = true
		}
		for i, l := range img.Layers {
			if err := ctx.Err(); err != nil {
				return err
			}
			name := img.DiffIDs[i].Encoded() + ".tar"
			e.Layers = append(e.Layers, name)
			if written[name] {
				continue
			}
			written[name] = true
			if l.Digest == img.DiffIDs[i] {
				if err := s.writeBlob(tw, name, l.Digest); err != nil {
					return err
				}
				continue
			}
			if err := s.writeDecompressed(tw, name, l.Digest, img.DiffIDs[i]); err != nil {
				return err
			}
		}
		entries = append(entries, e)
	}
	mb, _ := json.Marshal(entries)
	if err := writeBytes(tw, "manifest.json", mb); err != nil {
		return err
	}
	if len(repos) > 0 {
		rb, _ := json.Marshal(repos)
		return writeBytes(tw, "repositories", rb)
	}
	return nil
}

// writeDecompressed writes a compressed layer blob uncompressed, through a
// temporary file since a tar header needs the size first, checking it
// against the diff ID.
func (s *Store) writeDecompressed(tw *tar.Writer, name string, blob, diffID digest.Digest) error {
	rc, err := s.content.Open(blob)
	if err != nil {
		return err
	}
	defer rc.Close()
	plain, _, err := archive.Decompress(rc)
	if err != nil {
		return err
	}
	defer plain.Close()
	tmp, err := os.CreateTemp(s.dir, "save-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	v := diffID.Verifier()
	n, err := io.Copy(io.MultiWriter(tmp, v), plain)
	if err != nil {
		return fmt.Errorf("decompress layer %s: %w", blob, err)
	}
	if !v.Verified() {
		return fmt.Errorf("layer %s does not match its diff ID %s", blob, diffID)
	}
	if _, err := tmp.Seek(0, 0); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: n, ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, tmp)
	return err
}

// saveOCI writes an OCI image layout: oci-layout, index.json naming each
// image (containerd's and OCI's annotations, as docker does) and blobs/.
func (s *Store) saveOCI(ctx context.Context, tw *tar.Writer, items []*saveItem) error {
	if err := writeBytes(tw, "oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := writeDir(tw, d); err != nil {
			return err
		}
	}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	idx.SchemaVersion = 2
	written := map[digest.Digest]bool{}
	blob := func(d digest.Digest) error {
		if written[d] {
			return nil
		}
		written[d] = true
		return s.writeBlob(tw, "blobs/sha256/"+d.Encoded(), d)
	}
	for _, it := range items {
		img := it.img
		msize, err := s.content.Size(img.Manifest)
		if err != nil {
			return err
		}
		for _, d := range append([]digest.Digest{img.Manifest, img.ID}, layerDigests(img)...) {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := blob(d); err != nil {
				return err
			}
		}
		desc := ocispec.Descriptor{MediaType: img.MediaType, Digest: img.Manifest, Size: msize}
		if len(it.tags) == 0 {
			idx.Manifests = append(idx.Manifests, desc)
		}
		for _, t := range it.tags {
			d := desc
			d.Annotations = map[string]string{annotationContainerdName: t}
			if n, err := reference.ParseNormalizedNamed(t); err == nil {
				if tg, ok := n.(reference.Tagged); ok {
					d.Annotations[annotationRefName] = tg.Tag()
				}
			}
			idx.Manifests = append(idx.Manifests, d)
		}
	}
	ib, _ := json.Marshal(idx)
	return writeBytes(tw, "index.json", ib)
}

func layerDigests(img *Image) []digest.Digest {
	var out []digest.Digest
	for _, l := range img.Layers {
		out = append(out, l.Digest)
	}
	return out
}
