package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/jinn-containers/jinn/internal/image/reference"
)

// remoteRef turns a docker reference into go-containerregistry's.
func remoteRef(ref string, insecure bool) (reference.Named, name.Reference, error) {
	n, err := ParseRef(ref)
	if err != nil {
		return nil, nil, err
	}
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(n.String(), opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid reference %q: %w", ref, err)
	}
	return n, r, nil
}

func keychain(k authn.Keychain) authn.Keychain {
	if k == nil {
		return authn.DefaultKeychain
	}
	return k
}

func (s *Store) pull(ctx context.Context, ref string, opts PullOptions) (img *Image, err error) {
	if opts.Platform.OS == "" {
		opts.Platform = DefaultPlatform()
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	named, rref, err := remoteRef(ref, opts.Insecure)
	if err != nil {
		return nil, err
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain(opts.Keychain))}
	prog := newProgress(opts.Progress)
	defer prog.wait() // an early return stops the redraws too
	done := s.writing()
	defer func() {
		done()
		if err != nil {
			s.GC() // a failed pull keeps nothing it fetched
		}
	}()
	if t, ok := named.(reference.Tagged); ok {
		prog.line("%s: Pulling from %s", t.Tag(), reference.FamiliarName(named))
	}
	desc, err := remote.Get(rref, ropts...)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	repo := rref.Context()
	// need fetches a blob (manifest, index, config or layer) unless stored;
	// every blob is verified against its digest before it is published.
	fetch := func(d digest.Digest, size int64, isManifest bool) error {
		return s.fetchBlob(repo, ropts, prog, d, size, isManifest, false)
	}
	byDigest := reference.TrimNamed(named).String() + "@" + digest.Digest(desc.Digest.String()).String()
	upToDate := false
	if m, unlock, err := s.lockMeta(); err == nil {
		_, upToDate = m.Refs[byDigest]
		unlock()
	}
	top := ocispec.Descriptor{MediaType: string(desc.MediaType), Digest: digest.Digest(desc.Digest.String()), Size: desc.Size}
	if _, err := s.StoreBlob(strings.NewReader(string(desc.Manifest)), top.Digest, top.Size); err != nil {
		return nil, fmt.Errorf("pull %s: manifest: %w", ref, err)
	}
	// First pass: resolve the platform's manifest and prefetch its blobs
	// in parallel; then storeManifest unpacks in order.
	manDesc, man, err := s.resolveManifest(top, opts.Platform, func(d ocispec.Descriptor) error { return fetch(d.Digest, d.Size, true) })
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	for _, d := range append([]ocispec.Descriptor{man.Config}, man.Layers...) {
		if d.Size < 0 {
			return nil, fmt.Errorf("pull %s: %s: invalid descriptor size %d", ref, d.Digest, d.Size)
		}
	}
	if err := fetch(man.Config.Digest, man.Config.Size, false); err != nil {
		return nil, fmt.Errorf("pull %s: config: %w", ref, err)
	}
	// Layers download in parallel and each is unpacked as soon as it is in
	// (unpackAll stacks them in order), so unpacking overlaps the transfers.
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ropts = append(ropts, remote.WithContext(dctx))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	// Each download closes its done channel, so any number of unpackers
	// (a layer can appear twice) can wait for it.
	type transfer struct {
		done chan struct{}
		err  error
	}
	ready := map[digest.Digest]*transfer{}
	for _, l := range man.Layers {
		if _, dup := ready[l.Digest]; dup {
			continue
		}
		tr := &transfer{done: make(chan struct{})}
		ready[l.Digest] = tr
		if s.content.Has(l.Digest) {
			prog.line("%s: Already exists", short(l.Digest))
			close(tr.done)
			continue
		}
		wg.Add(1)
		go func(l ocispec.Descriptor) {
			defer wg.Done()
			defer close(tr.done)
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := s.fetchBlob(repo, ropts, prog, l.Digest, l.Size, false, true); err != nil {
				tr.err = fmt.Errorf("layer %s: %w", l.Digest, err)
				cancel() // the pull fails: stop the other transfers
			}
		}(l)
	}
	img, err = s.storeManifest(ctx, manDesc, opts.Platform, func(d digest.Digest) error {
		if tr, ok := ready[d]; ok {
			<-tr.done
			return tr.err
		}
		if !s.content.Has(d) {
			return fmt.Errorf("blob %s missing", d)
		}
		return nil
	})
	if err != nil {
		cancel() // stop the other transfers before the GC that follows
	}
	wg.Wait()
	prog.wait()
	if err != nil {
		// Report the transfer that failed, not one it cancelled.
		for _, tr := range ready {
			if tr.err != nil && !errors.Is(tr.err, context.Canceled) {
				err = tr.err
				break
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	refs := []string{byDigest}
	if _, ok := named.(reference.Digested); !ok {
		refs = append(refs, named.String())
	}
	if err := s.updateMeta(func(m *meta) error { return m.setRefs(img.ID, refs) }); err != nil {
		return nil, err
	}
	prog.line("Digest: %s", top.Digest)
	if upToDate {
		prog.line("Status: Image is up to date for %s", reference.FamiliarString(named))
	} else {
		prog.line("Status: Downloaded newer image for %s", reference.FamiliarString(named))
	}
	return s.Get(img.ID.String())
}

// resolveManifest walks from desc (a stored manifest or index) to the
// platform's manifest, fetching nested manifests with get.
func (s *Store) resolveManifest(desc ocispec.Descriptor, platform ocispec.Platform, get func(ocispec.Descriptor) error) (ocispec.Descriptor, ocispec.Manifest, error) {
	for depth := 0; depth < 4; depth++ {
		if err := get(desc); err != nil {
			return desc, ocispec.Manifest{}, err
		}
		raw, err := s.content.ReadAll(desc.Digest)
		if err != nil {
			return desc, ocispec.Manifest{}, err
		}
		var probe struct {
			MediaType string               `json:"mediaType"`
			Manifests []ocispec.Descriptor `json:"manifests"`
			ocispec.Manifest
		}
		if err := jsonUnmarshal(raw, &probe); err != nil {
			return desc, ocispec.Manifest{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
		}
		mt := probe.MediaType
		if mt == "" {
			mt = desc.MediaType
		}
		if mt == ocispec.MediaTypeImageIndex || mt == MediaTypeDockerManifestList || probe.Manifests != nil {
			next, err := pickPlatform(ocispec.Index{Manifests: probe.Manifests}, platform)
			if err != nil {
				return desc, ocispec.Manifest{}, err
			}
			desc = next
			continue
		}
		var man ocispec.Manifest
		if err := jsonUnmarshal(raw, &man); err != nil {
			return desc, man, err
		}
		return desc, man, nil
	}
	return desc, ocispec.Manifest{}, fmt.Errorf("indexes nested too deep")
}

func short(d digest.Digest) string {
	e := d.Encoded()
	if len(e) > 12 {
		return e[:12]
	}
	return e
}

// fetchBlob stores one blob of repo unless present: a manifest by its
// manifest endpoint, anything else as a blob, with a progress bar for
// layers. Every blob is verified against its digest before it is published.
func (s *Store) fetchBlob(repo name.Repository, ropts []remote.Option, prog *progress, d digest.Digest, size int64, isManifest, isLayer bool) error {
	if s.content.Has(d) {
		return nil
	}
	if isManifest {
		rd, err := remote.Get(repo.Digest(d.String()), ropts...)
		if err != nil {
			return err
		}
		_, err = s.StoreBlob(bytes.NewReader(rd.Manifest), d, int64(len(rd.Manifest)))
		return err
	}
	l, err := remote.Layer(repo.Digest(d.String()), ropts...)
	if err != nil {
		return err
	}
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	if !isLayer {
		_, err = s.StoreBlob(rc, d, size)
		return err
	}
	bar := prog.bar(d, size)
	_, err = s.StoreBlob(bar.reader(rc), d, size)
	bar.done(err)
	return err
}
