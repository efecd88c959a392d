package build

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/jinn-containers/jinn/internal/image"
	"github.com/jinn-containers/jinn/internal/snapshot"
)

// layerWork changes the mounted root filesystem of a step.
type layerWork func(ctx context.Context, rootfs string) error

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// makeLayer runs work on a fresh writable snapshot of the stage and turns
// its changes into a layer. Whatever happens, the snapshot, the mount and
// the mountpoint are gone afterwards; the layer only exists once complete
// (the store commits it atomically).
func (b *Builder) makeLayer(ctx context.Context, s *stage, work layerWork) (image.Layer, error) {
	snaps := b.store.Snapshots()
	key := "build-" + randomID()[:16]
	mounts, err := snaps.Prepare(key, s.chainID())
	if err != nil {
		return image.Layer{}, fmt.Errorf("prepare snapshot: %w", err)
	}
	defer snaps.Remove(key)
	if err := b.withMounted(mounts, func(dir string) error { return work(ctx, dir) }); err != nil {
		return image.Layer{}, err
	}
	if err := ctx.Err(); err != nil {
		return image.Layer{}, err
	}
	l, err := b.store.CreateLayer(ctx, key)
	if err != nil {
		return image.Layer{}, fmt.Errorf("create layer: %w", err)
	}
	return l, nil
}

// withMounted mounts on a private temporary directory for the duration of fn.
func (b *Builder) withMounted(mounts []snapshot.Mount, fn func(dir string) error) error {
	dir, err := os.MkdirTemp(b.tmp, "rootfs-")
	if err != nil {
		return fmt.Errorf("mountpoint: %w", err)
	}
	defer os.Remove(dir)
	if err := snapshot.MountAll(mounts, dir); err != nil {
		return fmt.Errorf("mount snapshot: %w", err)
	}
	defer snapshot.UnmountAll(dir)
	return fn(dir)
}

// viewImage mounts a read-only view of img (COPY --from) for fn.
func (b *Builder) viewImage(img *image.Image, fn func(dir string) error) error {
	if img == nil || img.ChainID == "" {
		dir, err := os.MkdirTemp(b.tmp, "empty-")
		if err != nil {
			return err
		}
		defer os.Remove(dir)
		return fn(dir)
	}
	snaps := b.store.Snapshots()
	key := "build-view-" + randomID()[:16]
	mounts, err := snaps.View(key, img.ChainID.String())
	if err != nil {
		return fmt.Errorf("view %s: %w", img.ID, err)
	}
	defer snaps.Remove(key)
	return b.withMounted(mounts, fn)
}
