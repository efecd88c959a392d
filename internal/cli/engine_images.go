package cli

import (
	"errors"
	"fmt"

	digest "github.com/opencontainers/go-digest"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
	"github.com/jinn-containers/jinn/internal/snapshot"
)

// newImages opens the image store the engine runs containers from.
func newImages(o *Options) (engine.Images, error) {
	st, err := openImageStore(o)
	if err != nil {
		return nil, err
	}
	return &storeImages{st: st}, nil
}

// imagesInUse is the engine's in-use check for rmi and image prune.
func imagesInUse(o *Options) image.InUseFunc {
	return func(id digest.Digest) ([]string, error) {
		return engine.ContainersUsingImage(o.Root, id.String())
	}
}

// storeImages adapts internal/image and internal/snapshot to the engine's seam.
type storeImages struct{ st *image.Store }

func (s *storeImages) Get(ref string) (*engine.Image, error) {
	img, err := s.st.Get(ref)
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
		Config: engine.ImageConfig{User: c.User, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir,
			Labels: c.Labels, StopSignal: c.StopSignal, Volumes: c.Volumes, ExposedPorts: c.ExposedPorts}}
	if h := c.Healthcheck; h != nil {
		out.Config.Healthcheck = &engine.Healthcheck{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, Retries: h.Retries}
	}
	return out
}

func (s *storeImages) Prepare(key string, img *engine.Image, opts map[string]string) ([]engine.Mount, error) {
	var sopts []snapshot.Opt
	for k, v := range opts {
		switch k {
		case "size":
			n, err := engine.ParseBytes(v)
			if err != nil {
				return nil, fmt.Errorf("--storage-opt size=%s: %w", v, err)
			}
			sopts = append(sopts, snapshot.WithSize(n))
		default:
			return nil, fmt.Errorf("--storage-opt %s: unknown option (only size is supported)", k)
		}
	}
	sopts = append(sopts, snapshot.WithLabels(map[string]string{"jinn.container": key}))
	ms, err := s.st.Snapshots().Prepare(key, img.ChainID, sopts...)
	if err != nil {
		return nil, err
	}
	return convertMounts(ms), nil
}

func convertMounts(ms []snapshot.Mount) []engine.Mount {
	out := make([]engine.Mount, 0, len(ms))
	for _, m := range ms {
		out = append(out, engine.Mount{Type: m.Type, Source: m.Source, Options: m.Options})
	}
	return out
}

func (s *storeImages) Mounts(key string) ([]engine.Mount, error) {
	ms, err := s.st.Snapshots().Mounts(key)
	if err != nil {
		return nil, err
	}
	return convertMounts(ms), nil
}

func (s *storeImages) Remove(key string) error {
	err := s.st.Snapshots().Remove(key)
	if errors.Is(err, snapshot.ErrNotFound) {
		return nil
	}
	return err
}

// ContainerSnapshots lists the containers' writable snapshots, for the
// engine's prune to find those no container owns.
func (s *storeImages) ContainerSnapshots() ([]string, error) {
	infos, err := s.st.Snapshots().List()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, i := range infos {
		if i.Kind == snapshot.KindActive && i.Labels["jinn.container"] == i.Key {
			out = append(out, i.Key)
		}
	}
	return out, nil
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
