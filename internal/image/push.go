package image

import (
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// storeImage presents a stored image to go-containerregistry (the minimal
// CompressedImageCore; partial derives the rest).
type storeImage struct {
	s   *Store
	img *Image
	raw []byte
}

func (si *storeImage) RawConfigFile() ([]byte, error) { return si.s.content.ReadAll(si.img.ID) }
func (si *storeImage) MediaType() (types.MediaType, error) {
	return types.MediaType(si.img.MediaType), nil
}
func (si *storeImage) RawManifest() ([]byte, error) { return si.raw, nil }
func (si *storeImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, l := range si.img.Layers {
		if l.Digest.String() == h.String() {
			return &storeLayer{s: si.s, desc: l}, nil
		}
	}
	if h.String() == si.img.ID.String() {
		return &storeLayer{s: si.s, desc: ocispec.Descriptor{Digest: si.img.ID, MediaType: ocispec.MediaTypeImageConfig}}, nil
	}
	return nil, fmt.Errorf("blob %s is not part of image %s", h, si.img.ID)
}

type storeLayer struct {
	s    *Store
	desc ocispec.Descriptor
}

func (l *storeLayer) Digest() (v1.Hash, error)           { return v1.NewHash(l.desc.Digest.String()) }
func (l *storeLayer) Compressed() (io.ReadCloser, error) { return l.s.content.Open(l.desc.Digest) }
func (l *storeLayer) Size() (int64, error)               { return l.s.content.Size(l.desc.Digest) }
func (l *storeLayer) MediaType() (types.MediaType, error) {
	return types.MediaType(l.desc.MediaType), nil
}

func (s *Store) push(ctx context.Context, ref string, opts PushOptions) error {
	img, err := s.Get(ref)
	if err != nil {
		return err
	}
	named, rref, err := remoteRef(ref, opts.Insecure)
	if err != nil {
		return err
	}
	raw, err := s.content.ReadAll(img.Manifest)
	if err != nil {
		return err
	}
	vimg, err := partial.CompressedToImage(&storeImage{s: s, img: img, raw: raw})
	if err != nil {
		return err
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	prog := newProgress(opts.Progress)
	defer prog.wait() // an early return stops the redraws too
	prog.line("The push refers to repository [%s]", named.Name())
	updates := make(chan v1.Update, 16)
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain(opts.Keychain)),
		remote.WithJobs(opts.Parallel), remote.WithProgress(updates)}
	var bar *pbar
	doneCh := make(chan struct{})
	go func() {
		defer close(doneCh)
		var last int64
		for u := range updates {
			if bar == nil && u.Total > 0 {
				bar = prog.newBar(img.Manifest, u.Total, true)
			}
			if bar != nil {
				bar.add(u.Complete - last)
			}
			last = u.Complete
		}
	}()
	err = remote.Write(rref, vimg, ropts...)
	<-doneCh
	if bar != nil {
		bar.done(err)
	}
	prog.wait()
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	prog.line("%s: digest: %s size: %d", tagOf(named.String()), digest.FromBytes(raw), len(raw))
	return nil
}

func tagOf(full string) string {
	for i := len(full) - 1; i >= 0 && full[i] != '/'; i-- {
		if full[i] == ':' {
			return full[i+1:]
		}
	}
	return "latest"
}
