package image

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/jsonlite"
)

// meta is images.json: the image records and the references to them. It is
// read and replaced whole under an flock, by atomic rename, so a crash
// leaves either the old or the new index.
type meta struct {
	Images map[digest.Digest]*record `json:"images"`
	// Refs maps full references ("docker.io/library/busybox:latest",
	// "docker.io/library/busybox@sha256:…") to image IDs.
	Refs map[string]digest.Digest `json:"refs"`
	// Leases keep layers made by AddLayer/CreateLayer alive until an image
	// uses them (AddImage), so GC between the two calls spares them:
	// blob and chain-ID digests to the time they were leased.
	Leases map[digest.Digest]time.Time `json:"leases,omitempty"`
}

// leaseTTL bounds how long an unused layer is kept for an AddImage that
// never came (a crashed build).
const leaseTTL = time.Hour

func (m *meta) leased(d digest.Digest) bool {
	t, ok := m.Leases[d]
	return ok && time.Since(t) < leaseTTL
}

type record struct {
	Manifest  digest.Digest `json:"manifest"`
	MediaType string        `json:"mediaType"`
	Parent    digest.Digest `json:"parent,omitempty"`
	Added     time.Time     `json:"added"`
	// Tagged is when a reference was last pointed at the image (the API's
	// Metadata.LastTagTime).
	Tagged time.Time `json:"tagged,omitempty"`
}

func (s *Store) lockMeta() (*meta, func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, "lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("lock image store: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("lock image store: %w", err)
	}
	m := &meta{}
	b, err := os.ReadFile(filepath.Join(s.dir, "images.json"))
	if err == nil {
		err = jsonlite.Decode(b, m)
	} else if os.IsNotExist(err) {
		err = nil
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("read image index: %w", err)
	}
	if m.Images == nil {
		m.Images = map[digest.Digest]*record{}
	}
	if m.Refs == nil {
		m.Refs = map[string]digest.Digest{}
	}
	if m.Leases == nil {
		m.Leases = map[digest.Digest]time.Time{}
	}
	return m, func() { f.Close() }, nil
}

func (s *Store) saveMeta(m *meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFileSync(filepath.Join(s.dir, "images.json"), b, 0o600); err != nil {
		return fmt.Errorf("write image index: %w", err)
	}
	return nil
}

// updateMeta runs fn under the lock and saves if it succeeds.
func (s *Store) updateMeta(fn func(*meta) error) error {
	m, unlock, err := s.lockMeta()
	if err != nil {
		return err
	}
	defer unlock()
	if err := fn(m); err != nil {
		return err
	}
	return s.saveMeta(m)
}
