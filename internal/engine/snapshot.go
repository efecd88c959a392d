package engine

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// What the engine asks of a container's writable snapshot through the
// Images seam: commit, diff, export and disk usage. The engine decides
// what a container means for each (which settings an image keeps, which
// files are its own); the seam only moves layers.

// CommitOptions are docker commit's flags.
type CommitOptions struct {
	Author  string
	Comment string
	Changes []string // --change: Dockerfile instructions applied to the config
	Tags    []string
	Pause   bool // pause a running container while its layer is read
}

// ImageCommit is what the image store makes a new image from: the
// container's layer on its base image, with Config over the base config.
type ImageCommit struct {
	Config    ImageConfig // Cmd, Entrypoint, Env, WorkingDir, User, StopSignal, Labels (nil: the base's)
	Changes   []string
	Author    string
	Comment   string
	CreatedBy string
	Tags      []string
}

// Change is one line of docker diff.
type Change struct {
	Kind string // A, C or D
	Path string
}

func (c Change) String() string { return c.Kind + " " + c.Path }

// engineManaged are the files the engine bind-mounts into every
// container: their mount points are not the container's changes (docker
// hides them too).
var engineManaged = map[string]bool{"/etc/hostname": true, "/etc/hosts": true, "/etc/resolv.conf": true}

// snapshotOf is the snapshot holding a container's writable layer.
func (e *Local) snapshotOf(ref string) (*View, error) {
	v, err := e.inspect(ref)
	if err != nil {
		return nil, err
	}
	if v.Snapshot == "" {
		return nil, fmt.Errorf("container %s runs on a plain --rootfs directory, not an image", ref)
	}
	return v, nil
}

// Commit makes an image of a container's changes that runs what the
// container ran, as docker commit does; it returns the image's id.
func (e *Local) Commit(ctx context.Context, ref string, o *CommitOptions) (string, error) {
	v, err := e.snapshotOf(ref)
	if err != nil {
		return "", err
	}
	cc := v.Config
	ic := &ImageCommit{
		Config: ImageConfig{Cmd: cc.Cmd, Entrypoint: cc.Entrypoint, Env: cc.Env, WorkingDir: cc.WorkingDir,
			User: cc.User, StopSignal: cc.StopSignal, Labels: cc.Labels},
		Changes: o.Changes, Author: o.Author, Comment: o.Comment, Tags: o.Tags,
		CreatedBy: strings.TrimSpace(v.Path + " " + strings.Join(v.Args, " ")),
	}
	if o.Pause && v.State != nil && v.State.Status == monitor.StatusRunning {
		if err := e.Pause(ctx, v.ID); err == nil {
			defer e.Unpause(ctx, v.ID)
		}
	}
	return e.images.Commit(ctx, v.Snapshot, v.ImageID, ic)
}

// Changes is docker diff: what the container changed in its filesystem.
func (e *Local) Changes(_ context.Context, ref string) ([]Change, error) {
	v, err := e.snapshotOf(ref)
	if err != nil {
		return nil, err
	}
	all, err := e.images.Changes(v.Snapshot)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, c := range all {
		if c.Kind == "A" && engineManaged[c.Path] {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// Export writes the container's whole filesystem as a tar (docker export).
func (e *Local) Export(ctx context.Context, ref string, w io.Writer) error {
	v, err := e.snapshotOf(ref)
	if err != nil {
		return err
	}
	return e.images.Export(ctx, v.Snapshot, w)
}

// DiskUsage is system df's figures.
type DiskUsage struct {
	Images, ActiveImages         int
	ImagesSize, ActiveImagesSize int64 // layers counted once
	Containers                   []ContainerUsage
}

// ContainerUsage is one container's writable layer.
type ContainerUsage struct {
	ID   string
	Size int64
}

// DiskUsage walks images and container snapshots: containers are the
// snapshots the engine labelled at Prepare, and an image is active if a
// container sits on its top layer.
func (e *Local) DiskUsage(context.Context) (*DiskUsage, error) {
	imgs, err := e.images.List()
	if err != nil {
		return nil, err
	}
	snaps, err := e.images.ContainerSnapshots()
	if err != nil {
		return nil, err
	}
	du := &DiskUsage{Images: len(imgs)}
	parents := map[string]bool{}
	for _, s := range snaps {
		parents[s.Parent] = true
		du.Containers = append(du.Containers, ContainerUsage{ID: s.Key, Size: e.images.Usage(s.Key)})
	}
	seen := map[string]bool{}
	for _, img := range imgs {
		active := parents[img.ChainID]
		if active {
			du.ActiveImages++
		}
		for _, l := range img.Layers {
			if seen[l] {
				continue
			}
			seen[l] = true
			n := e.images.Usage(l)
			du.ImagesSize += n
			if active {
				du.ActiveImagesSize += n
			}
		}
	}
	return du, nil
}
