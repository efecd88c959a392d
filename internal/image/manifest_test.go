package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/klauspost/compress/zstd"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ociLayout builds an OCI layout tar holding a multi-arch index (amd64 with
// a zstd layer, arm64 with a plain one) named by containerd's annotation,
// with docker's media types for the arm64 manifest.
func ociLayout(t *testing.T) ([]byte, map[string]digest.Digest) {
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	add := func(b []byte) ocispec.Descriptor {
		d := digest.FromBytes(b)
		tw.WriteHeader(&tar.Header{Name: "blobs/sha256/" + d.Encoded(), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
		return ocispec.Descriptor{Digest: d, Size: int64(len(b))}
	}
	ids := map[string]digest.Digest{}
	var idx ocispec.Index
	idx.SchemaVersion = 2
	for _, arch := range []string{"arm64", "amd64"} {
		plain := layerTar(tfile{name: "arch", body: arch})
		blob := plain
		lmt, mmt := MediaTypeDockerLayer, MediaTypeDockerManifest
		if arch == "amd64" {
			var z bytes.Buffer
			w, _ := zstd.NewWriter(&z)
			w.Write(plain)
			w.Close()
			blob, lmt, mmt = z.Bytes(), ocispec.MediaTypeImageLayerZstd, ocispec.MediaTypeImageManifest
		}
		ld := add(blob)
		ld.MediaType = lmt
		var cfg Config
		cfg.OS, cfg.Architecture = "linux", arch
		cfg.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(plain)}}
		cb, _ := json.Marshal(cfg)
		cd := add(cb)
		cd.MediaType = ocispec.MediaTypeImageConfig
		ids[arch] = cd.Digest
		man := ocispec.Manifest{MediaType: mmt, Config: cd, Layers: []ocispec.Descriptor{ld}}
		man.SchemaVersion = 2
		mb, _ := json.Marshal(man)
		md := add(mb)
		md.MediaType = mmt
		md.Platform = &ocispec.Platform{OS: "linux", Architecture: arch}
		idx.Manifests = append(idx.Manifests, md)
	}
	ib, _ := json.Marshal(idx)
	inner := add(ib)
	inner.MediaType = ocispec.MediaTypeImageIndex
	inner.Annotations = map[string]string{annotationContainerdName: "example.com/multi:1", annotationRefName: "1"}
	top := ocispec.Index{Manifests: []ocispec.Descriptor{inner}}
	top.SchemaVersion = 2
	tb, _ := json.Marshal(top)
	for name, b := range map[string][]byte{"index.json": tb, "oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`)} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	return out.Bytes(), ids
}

func TestLoadMultiArchLayout(t *testing.T) {
	needRoot(t)
	data, ids := ociLayout(t)
	for _, arch := range []string{"amd64", "arm64"} {
		s := testStore(t)
		names, err := s.Load(context.Background(), bytes.NewReader(data), LoadOptions{Platform: ocispec.Platform{OS: "linux", Architecture: arch}})
		if err != nil || len(names) != 1 || names[0] != "example.com/multi:1" {
			t.Fatalf("%s: %v %v", arch, names, err)
		}
		img, err := s.Get("example.com/multi:1")
		if err != nil || img.ID != ids[arch] {
			t.Fatalf("%s: got %v, want %s (%v)", arch, img, ids[arch], err)
		}
		var exp bytes.Buffer
		if _, err := s.Snapshots().View("v", string(img.ChainID)); err != nil {
			t.Fatal(err)
		}
		if err := s.Export(context.Background(), "v", &exp); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(exp.Bytes(), []byte(arch)) {
			t.Fatalf("%s: layer content wrong", arch)
		}
	}
	s := testStore(t)
	if _, err := s.Load(context.Background(), bytes.NewReader(data), LoadOptions{Platform: ocispec.Platform{OS: "linux", Architecture: "riscv64"}}); err == nil {
		t.Fatal("loaded a missing platform")
	}
}
