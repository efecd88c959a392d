package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	digest "github.com/opencontainers/go-digest"

	"github.com/jinn-containers/jinn/internal/build"
	"github.com/jinn-containers/jinn/internal/cliplan"
	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
	"github.com/jinn-containers/jinn/internal/snapshot"
	"github.com/jinn-containers/jinn/internal/units"
)

// newImages opens the image store the engine runs containers from.
func newImages(o *Options) (engine.Images, error) {
	st, err := openImageStore(o)
	if err != nil {
		return nil, err
	}
	return &storeImages{st: st, found: &o.found, rec: o.rec}, nil
}

// imagesInUse is the engine's in-use check for rmi and image prune.
func imagesInUse(o *Options) image.InUseFunc {
	return func(id digest.Digest) ([]string, error) {
		return engine.ContainersUsingImage(o.Root, id.String())
	}
}

// storeImages adapts internal/image and internal/snapshot to the engine's seam.
type storeImages struct {
	st *image.Store
	// prepared holds the mounts Prepare returned, for the first Mounts of
	// the same snapshot (`run` is a create and a start in one process):
	// reading them again reads the snapshot index, every container's
	// layer in it.
	mu       sync.Mutex
	prepared map[string][]engine.Mount
	found    *foundImage // what the command looked up before the engine
	rec      *cliplan.Recorder
}

func (s *storeImages) Get(ref string) (*engine.Image, error) {
	if s.found != nil {
		s.mu.Lock()
		img := s.found.take(ref)
		s.mu.Unlock()
		if img != nil {
			return convertImage(img), nil
		}
	}
	img, err := s.st.GetConfig(ref) // engine.Image has no size
	if image.IsNotFound(err) {
		return nil, engine.ErrImageNotFound
	}
	if err != nil {
		return nil, err
	}
	return convertImage(img), nil
}

func convertImage(img *image.Image) *engine.Image {
	c := img.Config.Config
	out := &engine.Image{ID: img.ID.String(), RepoTags: img.RepoTags, ChainID: img.ChainID.String(), Created: img.Created,
		Layers: layerChains(img),
		Config: engine.ImageConfig{User: c.User, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir,
			Labels: c.Labels, StopSignal: c.StopSignal, Volumes: c.Volumes, ExposedPorts: c.ExposedPorts}}
	if h := c.Healthcheck; h != nil {
		out.Config.Healthcheck = &engine.Healthcheck{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, Retries: h.Retries, StartInterval: h.StartInterval}
	}
	return out
}

func (s *storeImages) Prepare(key string, img *engine.Image, opts map[string]string, volatile bool) ([]engine.Mount, error) {
	var sopts []snapshot.Opt
	for k, v := range opts {
		switch k {
		case "size":
			n, err := units.ParseBytes(v)
			if err != nil {
				return nil, fmt.Errorf("--storage-opt size=%s: %w", v, err)
			}
			sopts = append(sopts, snapshot.WithSize(n))
		default:
			return nil, fmt.Errorf("--storage-opt %s: unknown option (only size is supported)", k)
		}
	}
	sopts = append(sopts, snapshot.WithLabels(map[string]string{"jinn.container": key}))
	if volatile {
		sopts = append(sopts, snapshot.WithVolatile())
	}
	if s.rec != nil {
		sopts = append(sopts, snapshot.WithRecorder(s.rec))
	}
	ms, err := s.st.Snapshots().Prepare(key, img.ChainID, sopts...)
	if err != nil {
		return nil, err
	}
	out := convertMounts(ms)
	s.mu.Lock()
	if s.prepared == nil {
		s.prepared = map[string][]engine.Mount{}
	}
	s.prepared[key] = out
	s.mu.Unlock()
	return out, nil
}

func convertMounts(ms []snapshot.Mount) []engine.Mount {
	out := make([]engine.Mount, 0, len(ms))
	for _, m := range ms {
		out = append(out, engine.Mount{Type: m.Type, Source: m.Source, Options: m.Options})
	}
	return out
}

func (s *storeImages) Mounts(key string) ([]engine.Mount, error) {
	s.mu.Lock()
	out, ok := s.prepared[key]
	delete(s.prepared, key) // once: a later start reads the index again
	s.mu.Unlock()
	if ok {
		return out, nil
	}
	ms, err := s.st.Snapshots().Mounts(key)
	if err != nil {
		return nil, err
	}
	return convertMounts(ms), nil
}

func (s *storeImages) Remove(key string) error {
	s.mu.Lock()
	delete(s.prepared, key)
	s.mu.Unlock()
	err := s.st.Snapshots().RemoveRecorded(key, s.rec)
	if errors.Is(err, snapshot.ErrNotFound) {
		return nil
	}
	return err
}

func (s *storeImages) List() ([]*engine.Image, error) {
	imgs, err := s.st.List()
	if err != nil {
		return nil, err
	}
	var out []*engine.Image
	for _, i := range imgs {
		out = append(out, convertImage(i))
	}
	return out, nil
}

// layerChains are the snapshot keys of img's layers, bottom up.
func layerChains(img *image.Image) []string {
	out := make([]string, len(img.DiffIDs))
	for i := range img.DiffIDs {
		out[i] = chainOf(img.DiffIDs[:i+1])
	}
	return out
}

func (s *storeImages) Commit(ctx context.Context, key, baseID string, c *engine.ImageCommit) (string, error) {
	base, err := s.st.Get(baseID)
	if err != nil {
		return "", fmt.Errorf("image of the container: %w", err)
	}
	full := base.Config
	cfg := &full.Config.ImageConfig
	ic := c.Config
	cfg.Cmd, cfg.Entrypoint, cfg.Env = ic.Cmd, ic.Entrypoint, ic.Env
	cfg.WorkingDir, cfg.User, cfg.StopSignal = ic.WorkingDir, ic.User, ic.StopSignal
	if ic.Labels != nil {
		cfg.Labels = ic.Labels
	}
	if err := build.ApplyChanges(&full, c.Changes); err != nil {
		return "", err
	}
	img, err := s.st.Commit(ctx, key, base, image.CommitOptions{
		Config: cfg, Author: c.Author, Comment: c.Comment, Tags: c.Tags, CreatedBy: c.CreatedBy,
	})
	if err != nil {
		return "", err
	}
	return img.ID.String(), nil
}

func (s *storeImages) Changes(key string) ([]engine.Change, error) {
	cs, err := s.st.Changes(key)
	if err != nil {
		return nil, err
	}
	out := make([]engine.Change, len(cs))
	for i, c := range cs {
		out[i] = engine.Change{Kind: c.Kind.String(), Path: c.Path}
	}
	return out, nil
}

func (s *storeImages) Export(ctx context.Context, key string, w io.Writer) error {
	return s.st.Export(ctx, key, w)
}

func (s *storeImages) ContainerSnapshots() ([]engine.SnapshotInfo, error) {
	infos, err := s.st.Snapshots().List()
	if err != nil {
		return nil, err
	}
	var out []engine.SnapshotInfo
	for _, i := range infos {
		if i.Kind == snapshot.KindActive && i.Labels["jinn.container"] != "" {
			out = append(out, engine.SnapshotInfo{Key: i.Key, Parent: i.Parent})
		}
	}
	return out, nil
}

// Sweep is the snapshotter's Cleanup: it holds the lock every Prepare
// holds until its snapshot is named, so what it finds unnamed is garbage
// whoever else is at work.
func (s *storeImages) Sweep() { s.st.Snapshots().Cleanup() }

func (s *storeImages) Usage(key string) int64 {
	u, _ := s.st.Snapshots().Usage(key)
	return u.Size
}
