package image

import (
	"context"
	"io"

	"github.com/google/go-containerregistry/pkg/authn"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// LoadOptions tune Load.
type LoadOptions struct {
	Platform ocispec.Platform // for multi-arch OCI layouts; zero: default
	Progress io.Writer        // "Loaded image: …" lines; nil: silent
	Warn     io.Writer        // warnings (an invalid tag skipped); nil: the log
}

// Load reads a docker-archive (docker/podman save) or an OCI image layout
// tar from r and stores its images; it returns the names (or IDs) loaded.
func (s *Store) Load(ctx context.Context, r io.Reader, opts LoadOptions) ([]string, error) {
	return s.load2(ctx, r, opts)
}

// SaveFormat selects save's output.
type SaveFormat string

const (
	FormatDockerArchive SaveFormat = "docker-archive"
	FormatOCIArchive    SaveFormat = "oci-archive"
)

// Save writes the images refs name as one tar in format to w.
func (s *Store) Save(ctx context.Context, refs []string, w io.Writer, format SaveFormat) error {
	return s.save(ctx, refs, w, format)
}

// ImportOptions tune Import (docker import).
type ImportOptions struct {
	Ref string // tag for the new image ("" for none)
	// Apply changes the new image's config first (--change, applied by
	// internal/build's ApplyChanges): an error stops the import.
	Apply    func(*Config) error
	Message  string // history comment
	Platform ocispec.Platform
}

// Import makes a one-layer image from a filesystem tarball (plain, gzip or
// zstd).
func (s *Store) Import(ctx context.Context, r io.Reader, opts ImportOptions) (*Image, error) {
	return s.importTar(ctx, r, opts)
}

// PullOptions tune Pull.
type PullOptions struct {
	Platform ocispec.Platform // zero: linux/amd64 (the host)
	Keychain authn.Keychain   // nil: ~/.docker/config.json
	Insecure bool             // plain http (loopback registries are always allowed)
	Progress io.Writer        // bars when a terminal, lines otherwise; nil: silent
	Parallel int              // layers at once; 0: 4
}

// Pull fetches ref from its registry, skipping blobs already stored and
// verifying every digest; a layer that fails verification leaves nothing.
func (s *Store) Pull(ctx context.Context, ref string, opts PullOptions) (*Image, error) {
	return s.pull(ctx, ref, opts)
}

// PushOptions tune Push.
type PushOptions struct {
	Keychain authn.Keychain
	Insecure bool
	Progress io.Writer
	Parallel int
}

// Push uploads the image ref names to its registry.
func (s *Store) Push(ctx context.Context, ref string, opts PushOptions) error {
	return s.push(ctx, ref, opts)
}
