package engine

import (
	"context"
	"errors"
	"io"
	"time"
)

// ImageConfig is the part of an image's OCI config a container starts from.
type ImageConfig struct {
	User         string
	Env          []string
	Entrypoint   []string
	Cmd          []string
	WorkingDir   string
	Labels       map[string]string
	StopSignal   string
	Volumes      map[string]struct{}
	ExposedPorts map[string]struct{}
	Healthcheck  *Healthcheck
}

// Image is an image as the engine needs it.
type Image struct {
	ID       string // sha256:...
	RepoTags []string
	ChainID  string   // of the top layer: the parent of the container's snapshot
	Layers   []string // chain ids of its layers, bottom up (ChainID last)
	Config   ImageConfig
	Created  time.Time
}

// Mount is a mount as data (a snapshot's overlay).
type Mount struct {
	Type    string
	Source  string
	Options []string
}

// Images is the seam to the image store and the snapshotter: the engine
// resolves references and gets a writable root filesystem as mounts.
type Images interface {
	// Get resolves a reference or id; ErrImageNotFound if absent.
	Get(ref string) (*Image, error)
	// Prepare makes the container's writable snapshot on the image's
	// layers; a volatile one (run --rm) is neither synced nor kept by a crash.
	Prepare(key string, img *Image, opts map[string]string, volatile bool) ([]Mount, error)
	// Mounts returns an existing snapshot's mounts (start after reboot).
	Mounts(key string) ([]Mount, error)
	// Remove deletes the snapshot; a missing one is not an error.
	Remove(key string) error
	// List lists every image (for system prune and ancestor filters).
	List() ([]*Image, error)
	// Commit makes an image of snapshot key on image base; it returns its id.
	Commit(ctx context.Context, key, base string, c *ImageCommit) (string, error)
	// Changes lists what snapshot key changed over its parents.
	Changes(key string) ([]Change, error)
	// Export writes snapshot key's merged filesystem as a tar.
	Export(ctx context.Context, key string, w io.Writer) error
	// ContainerSnapshots lists the snapshots Prepare made.
	ContainerSnapshots() ([]SnapshotInfo, error)
	// Sweep removes what Prepares killed midway left, which no snapshot
	// names yet.
	Sweep()
	// Usage is the disk space of a snapshot or layer (0 if unknown).
	Usage(key string) int64
}

// SnapshotInfo is a container's snapshot: its key and its parent layer.
type SnapshotInfo struct{ Key, Parent string }

// ErrImageNotFound is returned by Images.Get for an unknown reference.
var ErrImageNotFound = errors.New("image not found")

// noImages is the store when none is configured: every image is missing.
type noImages struct{}

func (noImages) Get(string) (*Image, error) { return nil, ErrImageNotFound }
func (noImages) Prepare(string, *Image, map[string]string, bool) ([]Mount, error) {
	return nil, ErrImageNotFound
}
func (noImages) Mounts(string) ([]Mount, error) { return nil, ErrImageNotFound }
func (noImages) Remove(string) error            { return nil }
func (noImages) List() ([]*Image, error)        { return nil, nil }
func (noImages) Commit(context.Context, string, string, *ImageCommit) (string, error) {
	return "", ErrImageNotFound
}
func (noImages) Changes(string) ([]Change, error)                { return nil, ErrImageNotFound }
func (noImages) Export(context.Context, string, io.Writer) error { return ErrImageNotFound }
func (noImages) ContainerSnapshots() ([]SnapshotInfo, error)     { return nil, nil }
func (noImages) Sweep()                                          {}
func (noImages) Usage(string) int64                              { return 0 }
