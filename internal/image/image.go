// Package image is jinn's image store: a content store of blobs by digest,
// image metadata and references, and layers unpacked once into committed
// snapshots (internal/snapshot) keyed by chain ID. It loads, saves, imports,
// pulls and pushes images, and turns a container's upper dir into a layer.
//
// Layout under the store root (<--root>/image):
//
//	blobs/sha256/<hex>   content: manifests, configs, layer tarballs
//	images.json          image records and references (atomic rename, flock)
//	../snapshots/        the snapshotter (layers and container rootfs)
//
// How the engine and the builder use it:
//
//	st, _ := image.Open("/var/lib/jinn", image.WithInUse(containersUsing))
//	img, _ := st.Get("busybox")                        // errors.Is(err, image.ErrNotFound)
//	ms, _ := st.Snapshots().Prepare(ctrID, string(img.ChainID), snapshot.WithSize(1<<30))
//	snapshot.MountAll(ms, rootfs); …; snapshot.UnmountAll(rootfs)
//	st.Changes(ctrID)                                  // jinn diff
//	st.Commit(ctx, ctrID, img, image.CommitOptions{Tags: []string{"me/app:1"}}) // jinn commit
//	st.Export(ctx, ctrID, w)                           // jinn export
//	st.Snapshots().Remove(ctrID)                       // jinn rm
//
//	// A build step: a layer from a snapshot's upper dir, then the image.
//	l, _ := st.CreateLayer(ctx, stepKey)               // or st.AddLayer(ctx, parentChain, tarball)
//	st.AddImage(ctx, cfg, append(baseLayers, l), image.AddOptions{Tags: tags, Parent: base.ID})
//
// Concurrency: metadata changes take an flock and replace their JSON index
// by atomic rename; writers hold a shared lock that GC checks, and layers
// made by AddLayer/CreateLayer are leased until AddImage uses them.
package image

import (
	"errors"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	// ErrNotFound: no image matches the reference.
	ErrNotFound = errors.New("no such image")
	// ErrAmbiguous: an ID prefix matches several images.
	ErrAmbiguous = errors.New("ambiguous image ID prefix")
	// ErrInUse: a container uses the image (rmi without -f).
	ErrInUse = errors.New("image is in use by a container")
	// ErrConflict: removing the image needs -f (several tags, children).
	ErrConflict = errors.New("conflict")
)

// Config is the image configuration: OCI's, with docker's extensions
// (Healthcheck, OnBuild, Shell, ArgsEscaped) in Config.Config.
type Config = dockerspec.DockerOCIImage

// Image is an image as the engine and the builder see it.
type Image struct {
	// ID is the digest of the config blob (what `docker images` shows).
	ID digest.Digest
	// RepoTags are familiar names: "busybox:latest", "example.com/a/b:v1".
	RepoTags []string
	// RepoDigests are "busybox@sha256:…" of the manifest, for pulled images.
	RepoDigests []string
	// Manifest is the digest of the stored manifest, MediaType its type.
	Manifest  digest.Digest
	MediaType string
	Config    Config
	// Layers are the layer blobs in order (bottom first); DiffIDs their
	// uncompressed digests and ChainID the snapshot key of the top layer
	// ("" for an image without layers).
	Layers  []ocispec.Descriptor
	DiffIDs []digest.Digest
	ChainID digest.Digest
	// Parent is the image this one was committed or built from, if local.
	Parent  digest.Digest
	Created time.Time
	// LastTagTime is when a reference was last pointed at it (zero: never).
	LastTagTime time.Time
	// Size is the unpacked size of all layers in bytes.
	Size int64
}

// Layer is one layer in the store: its blob, its uncompressed digest and
// the committed snapshot holding it unpacked.
type Layer struct {
	Blob    ocispec.Descriptor // compressed (or plain) tarball in blobs/
	DiffID  digest.Digest
	ChainID digest.Digest // snapshot key
	Size    int64         // unpacked size
}

// ChainID computes the chain ID of a layer stack (OCI image spec): the
// snapshot key of its top layer.
func ChainID(diffIDs []digest.Digest) digest.Digest {
	if len(diffIDs) == 0 {
		return ""
	}
	c := diffIDs[0]
	for _, d := range diffIDs[1:] {
		c = digest.FromString(c.String() + " " + d.String())
	}
	return c
}

// InUseFunc reports the containers that use an image (by ID); the engine
// provides it so that rmi and prune refuse to remove what is in use.
type InUseFunc func(id digest.Digest) (containers []string, err error)

// OpenOption tunes Open.
type OpenOption func(*Store)

// WithInUse installs the engine's in-use check.
func WithInUse(f InUseFunc) OpenOption { return func(s *Store) { s.inUse = f } }
