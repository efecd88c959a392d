package image

import (
	"context"
	"fmt"
	"io"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func (s *Store) importTar(ctx context.Context, r io.Reader, opts ImportOptions) (*Image, error) {
	var cfg Config
	if opts.Apply != nil {
		if err := opts.Apply(&cfg); err != nil {
			return nil, err
		}
	}
	if opts.Ref != "" {
		if _, err := ParseRef(opts.Ref); err != nil {
			return nil, err
		}
	}
	done := s.writing()
	l, err := s.AddLayer(ctx, "", r)
	if err != nil {
		done()
		s.GC() // the blob of a layer that did not unpack
		return nil, fmt.Errorf("import: %w", err)
	}
	defer done()
	now := time.Now().UTC()
	cfg.Created = &now
	if opts.Platform.OS != "" {
		cfg.OS, cfg.Architecture, cfg.Variant = opts.Platform.OS, opts.Platform.Architecture, opts.Platform.Variant
	}
	comment := opts.Message
	if comment == "" {
		comment = "Imported from tarball"
	}
	cfg.History = []ocispec.History{{Created: &now, CreatedBy: "jinn import", Comment: comment}}
	var tags []string
	if opts.Ref != "" {
		tags = []string{opts.Ref}
	}
	return s.AddImage(ctx, cfg, []Layer{l}, AddOptions{Tags: tags})
}
