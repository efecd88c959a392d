package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
	"github.com/jinn-containers/jinn/internal/snapshot"
)

// newImages opens the image store the engine runs containers from.
func newImages(o *Options) (engine.Images, error) {
	st, err := image.Open(o.Root)
	if err != nil {
		return nil, err
	}
	return storeImages{st}, nil
}

// storeImages adapts the image store and its snapshotter to the engine's
// Images seam.
type storeImages struct{ st *image.Store }

func (s storeImages) Get(ref string) (*engine.Image, error) {
	img, err := s.st.Get(ref)
	if errors.Is(err, image.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", engine.ErrImageNotFound, ref)
	}
	if err != nil {
		return nil, err
	}
	return engineImage(img), nil
}

func engineImage(img *image.Image) *engine.Image {
	c := img.Config.Config
	out := &engine.Image{
		ID: img.ID.String(), RepoTags: img.RepoTags, ChainID: string(img.ChainID), Created: img.Created,
		Config: engine.ImageConfig{
			User: c.User, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir,
			Labels: c.Labels, StopSignal: c.StopSignal, Volumes: c.Volumes, ExposedPorts: c.ExposedPorts,
		},
	}
	if h := c.Healthcheck; h != nil {
		out.Config.Healthcheck = &engine.Healthcheck{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, Retries: h.Retries}
	}
	return out
}

// Prepare makes the container's snapshot; opts are docker's --storage-opt
// (size=10G: a disk quota on the writable layer).
func (s storeImages) Prepare(key string, img *engine.Image, opts map[string]string) ([]engine.Mount, error) {
	var sopts []snapshot.Opt
	for k, v := range opts {
		switch k {
		case "size":
			n, err := parseSize(v)
			if err != nil {
				return nil, fmt.Errorf("--storage-opt size=%s: %w", v, err)
			}
			sopts = append(sopts, snapshot.WithSize(n))
		default:
			return nil, fmt.Errorf("--storage-opt %s is not supported (size=)", k)
		}
	}
	parent := ""
	if img != nil {
		parent = img.ChainID
	}
	ms, err := s.st.Snapshots().Prepare(key, parent, sopts...)
	return engineMounts(ms), err
}

func (s storeImages) Mounts(key string) ([]engine.Mount, error) {
	ms, err := s.st.Snapshots().Mounts(key)
	return engineMounts(ms), err
}

func (s storeImages) Remove(key string) error {
	err := s.st.Snapshots().Remove(key)
	if errors.Is(err, snapshot.ErrNotFound) {
		return nil
	}
	return err
}

func (s storeImages) List() ([]*engine.Image, error) {
	imgs, err := s.st.List()
	if err != nil {
		return nil, err
	}
	out := make([]*engine.Image, 0, len(imgs))
	for _, img := range imgs {
		out = append(out, engineImage(img))
	}
	return out, nil
}

func engineMounts(ms []snapshot.Mount) []engine.Mount {
	out := make([]engine.Mount, 0, len(ms))
	for _, m := range ms {
		out = append(out, engine.Mount{Type: m.Type, Source: m.Source, Options: m.Options})
	}
	return out
}

// parseSize reads docker's sizes: 1024, 512k, 10m, 20G (binary units).
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return int64(f * float64(mult)), nil
}

// imagesInUse is rmi's and image prune's check: the containers (any
// state) whose image is id.
func imagesInUse(o *Options) image.InUseFunc {
	return func(id digest.Digest) ([]string, error) {
		e, err := o.engine()
		if err != nil {
			return nil, err
		}
		views, err := e.List(context.Background())
		if err != nil {
			return nil, err
		}
		var users []string
		for _, v := range views {
			if v.ImageID == id.String() {
				users = append(users, v.ID[:min(12, len(v.ID))])
			}
		}
		return users, nil
	}
}
