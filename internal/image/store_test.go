package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/jinn-containers/jinn/internal/snapshot"
)

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (overlay mounts, chown)")
	}
}

type tfile struct {
	name, body string
	typ        byte
}

func layerTar(files ...tfile) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Typeflag: f.typ, Mode: 0o755, Size: int64(len(f.body))}
		if f.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		tw.WriteHeader(h)
		tw.Write([]byte(f.body))
	}
	tw.Close()
	return b.Bytes()
}

// dockerArchive builds a docker-archive with the given layers.
func dockerArchive(t *testing.T, tag string, layers ...[]byte) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	add := func(name string, b []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	var cfg Config
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Cmd = []string{"sh"}
	cfg.RootFS.Type = "layers"
	var names []string
	for _, l := range layers {
		d := digest.FromBytes(l)
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, d)
		names = append(names, d.Encoded()+"/layer.tar")
		add(d.Encoded()+"/layer.tar", l)
	}
	cb, _ := json.Marshal(cfg)
	cd := digest.FromBytes(cb)
	add(cd.Encoded()+".json", cb)
	mb, _ := json.Marshal([]dockerManifestEntry{{Config: cd.Encoded() + ".json", RepoTags: []string{tag}, Layers: names}})
	add("manifest.json", mb)
	tw.Close()
	return out.Bytes()
}

func testStore(t *testing.T) *Store {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadGetMountCommitSave(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	s := testStore(t)
	base := layerTar(tfile{name: "bin/", typ: tar.TypeDir}, tfile{name: "bin/hello", body: "hi"}, tfile{name: "etc/old", body: "x"})
	top := layerTar(tfile{name: "etc/.wh.old"}, tfile{name: "etc/new", body: "y"})
	names, err := s.Load(ctx, bytes.NewReader(dockerArchive(t, "example.com/app:v1", base, top)), LoadOptions{})
	if err != nil || len(names) != 1 || names[0] != "example.com/app:v1" {
		t.Fatalf("load: %v %v", names, err)
	}
	img, err := s.Get("example.com/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"example.com/app:v1", img.ID.String(), img.ID.Encoded()[:10]} {
		if g, err := s.Get(r); err != nil || g.ID != img.ID {
			t.Errorf("Get(%q): %v", r, err)
		}
	}
	if _, err := s.Get("example.com/app:v2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tag: %v", err)
	}
	// GetConfig: the same image without the sizes (no snapshot index read).
	if c, err := s.GetConfig(img.ID.Encoded()[:10]); err != nil || c.ID != img.ID || c.ChainID != img.ChainID ||
		c.Size != 0 || img.Size == 0 || len(c.RepoTags) != 1 || c.Config.Config.Cmd[0] != "sh" {
		t.Errorf("GetConfig: %+v, %v (Get's size %d)", c, err, img.Size)
	}
	if _, err := s.GetConfig("example.com/app:v2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetConfig of a missing tag: %v", err)
	}
	if err := s.Tag("example.com/app:v1", "busybox"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"busybox", "busybox:latest", "docker.io/library/busybox:latest", "library/busybox"} {
		if g, err := s.Get(r); err != nil || g.ID != img.ID {
			t.Errorf("Get(%q): %v", r, err)
		}
	}

	// A container rootfs: overlay of the layers plus an upper dir.
	ms, err := s.Snapshots().Prepare("ctr1", string(img.ChainID))
	if err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	if err := snapshot.MountAll(ms, target); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "bin/hello")); string(b) != "hi" {
		t.Fatal("layer content missing")
	}
	if _, err := os.Stat(filepath.Join(target, "etc/old")); !os.IsNotExist(err) {
		t.Fatal("whiteout not applied")
	}
	os.WriteFile(filepath.Join(target, "bin/added"), []byte("new"), 0o644)
	os.Remove(filepath.Join(target, "bin/hello"))
	if err := snapshot.UnmountAll(target); err != nil {
		t.Fatal(err)
	}
	ch, err := s.Changes("ctr1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ch {
		got = append(got, c.String())
	}
	if strings.Join(got, ",") != "C /bin,A /bin/added,D /bin/hello" {
		t.Fatalf("changes: %v", got)
	}
	cimg, err := s.Commit(ctx, "ctr1", img, CommitOptions{Tags: []string{"committed:1"}, Comment: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cimg.DiffIDs) != 3 || cimg.Parent != img.ID || cimg.Config.Config.Cmd[0] != "sh" {
		t.Fatalf("commit: %+v", cimg)
	}
	var exp bytes.Buffer
	if err := s.Export(ctx, "ctr1", &exp); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(exp.Bytes(), []byte("bin/added")) || bytes.Contains(exp.Bytes(), []byte("bin/hello")) {
		t.Fatal("export content")
	}

	// Save both formats and load into fresh stores: same image IDs.
	for _, f := range []SaveFormat{FormatDockerArchive, FormatOCIArchive} {
		var buf bytes.Buffer
		if err := s.Save(ctx, []string{"committed:1"}, &buf, f); err != nil {
			t.Fatalf("save %s: %v", f, err)
		}
		s2 := testStore(t)
		names, err := s2.Load(ctx, &buf, LoadOptions{})
		if err != nil || len(names) != 1 || names[0] != "committed:1" {
			t.Fatalf("reload %s: %v %v", f, names, err)
		}
		g, err := s2.Get("committed:1")
		if err != nil || g.ID != cimg.ID {
			t.Fatalf("reload %s: %v", f, err)
		}
	}

	// rmi: an in-use snapshot keeps its layers; removing frees them.
	if _, err := s.Delete("committed:1", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Snapshots().Remove("ctr1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete("busybox", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete("example.com/app:v1", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	n := 0
	s.Content().Walk(func(digest.Digest, int64) error { n++; return nil })
	infos, _ := s.Snapshots().List()
	if n != 0 || len(infos) != 0 {
		t.Fatalf("after rmi: %d blobs, %d snapshots left", n, len(infos))
	}
}

func TestLoadCorruptLeavesNothing(t *testing.T) {
	needRoot(t)
	s := testStore(t)
	bad := layerTar(tfile{name: "../escape", body: "x"})
	if _, err := s.Load(context.Background(), bytes.NewReader(dockerArchive(t, "bad:1", bad)), LoadOptions{}); err == nil {
		t.Fatal("loaded a layer with ..")
	}
	n := 0
	s.Content().Walk(func(digest.Digest, int64) error { n++; return nil })
	infos, _ := s.Snapshots().List()
	if n != 0 || len(infos) != 0 {
		t.Fatalf("left %d blobs, %d snapshots", n, len(infos))
	}
	arch := dockerArchive(t, "trunc:1", layerTar(tfile{name: "f", body: strings.Repeat("z", 10000)}))
	if _, err := s.Load(context.Background(), bytes.NewReader(arch[:len(arch)/2]), LoadOptions{}); err == nil {
		t.Fatal("loaded a truncated archive")
	}
}

func TestImportChanges(t *testing.T) {
	needRoot(t)
	s := testStore(t)
	img, err := s.Import(context.Background(), bytes.NewReader(layerTar(tfile{name: "a", body: "1"})), ImportOptions{
		Ref: "imp:1", Apply: func(c *Config) error {
			c.Config.Cmd, c.Config.Env, c.Config.WorkingDir = []string{"/a"}, []string{"A=1", "B=2"}, "/w"
			c.Config.User, c.Config.Entrypoint = "nobody", []string{"/bin/sh", "-c", "/bin/x y"}
			c.Config.ExposedPorts = map[string]struct{}{"80/tcp": {}}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	c := img.Config.Config
	if c.Cmd[0] != "/a" || len(c.Env) != 2 || c.WorkingDir != "/w" || c.User != "nobody" || c.Entrypoint[2] != "/bin/x y" {
		t.Fatalf("config %+v", c)
	}
	if _, ok := c.ExposedPorts["80/tcp"]; !ok {
		t.Fatal("expose")
	}
	bad := func(*Config) error { return errors.New("bad change") }
	if _, err := s.Import(context.Background(), strings.NewReader(""), ImportOptions{Apply: bad}); err == nil {
		t.Fatal("a failing Apply did not stop the import")
	}
	_ = ocispec.Descriptor{}
}

func TestQuota(t *testing.T) {
	needRoot(t)
	s := testStore(t)
	ms, err := s.Snapshots().Prepare("q", "", snapshot.WithSize(32<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Snapshots().Remove("q")
	target := t.TempDir()
	if err := snapshot.MountAll(ms, target); err != nil {
		t.Fatal(err)
	}
	defer snapshot.UnmountAll(target)
	f, _ := os.Create(filepath.Join(target, "big"))
	buf := make([]byte, 1<<20)
	var werr error
	for i := 0; i < 64 && werr == nil; i++ {
		_, werr = f.Write(buf)
	}
	if werr == nil {
		werr = f.Sync()
	}
	f.Close()
	if werr == nil || !strings.Contains(werr.Error(), "no space") {
		t.Fatalf("write past quota: %v", werr)
	}
}

// A layer made for a build survives a GC until an image uses it.
func TestLeaseKeepsNewLayer(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	s := testStore(t)
	l, err := s.AddLayer(ctx, "", bytes.NewReader(layerTar(tfile{name: "x", body: "1"})))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GC(); err != nil {
		t.Fatal(err)
	}
	if !s.Content().Has(l.Blob.Digest) {
		t.Fatal("GC removed a leased layer blob")
	}
	if _, err := s.Snapshots().Stat(string(l.ChainID)); err != nil {
		t.Fatal("GC removed a leased layer snapshot")
	}
	img, err := s.AddImage(ctx, Config{}, []Layer{l}, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(img.ID.String(), DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if s.Content().Has(l.Blob.Digest) {
		t.Fatal("layer kept after its image went")
	}
}

// A blob corrupted on disk is detected when read: save fails.
func TestCorruptBlobOnDisk(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	s := testStore(t)
	if _, err := s.Load(ctx, bytes.NewReader(dockerArchive(t, "c:1", layerTar(tfile{name: "f", body: strings.Repeat("q", 4000)}))), LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	img, _ := s.Get("c:1")
	p := filepath.Join(s.dir, "blobs", "sha256", img.Layers[0].Digest.Encoded())
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 1
	os.WriteFile(p, b, 0o600)
	var out bytes.Buffer
	if err := s.Save(ctx, []string{"c:1"}, &out, FormatDockerArchive); err == nil || !strings.Contains(err.Error(), "corrupted") {
		t.Fatalf("save of a corrupted blob: %v", err)
	}
}

// Old docker save: <id>/layer.tar, a layer shared between images as a
// symlink to another directory's layer.tar, and the tar gzipped.
func TestLoadLegacyDockerArchiveWithLinks(t *testing.T) {
	needRoot(t)
	base := layerTar(tfile{name: "base", body: "b"})
	d := digest.FromBytes(base)
	var cfg Config
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{d}}
	cb, _ := json.Marshal(cfg)
	cfg.Config.Cmd = []string{"other"}
	cb2, _ := json.Marshal(cfg)
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	add := func(name string, b []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	add("aaa/layer.tar", base)
	tw.WriteHeader(&tar.Header{Name: "bbb/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../aaa/layer.tar"})
	add("c1.json", cb)
	add("c2.json", cb2)
	mb, _ := json.Marshal([]dockerManifestEntry{
		{Config: "c1.json", RepoTags: []string{"one:1"}, Layers: []string{"aaa/layer.tar"}},
		{Config: "c2.json", RepoTags: []string{"two:1"}, Layers: []string{"bbb/layer.tar"}},
	})
	add("manifest.json", mb)
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(out.Bytes())
	zw.Close()
	s := testStore(t)
	names, err := s.Load(context.Background(), &gz, LoadOptions{})
	if err != nil || len(names) != 2 {
		t.Fatalf("%v %v", names, err)
	}
	a, _ := s.Get("one:1")
	b, _ := s.Get("two:1")
	if a == nil || b == nil || a.ChainID != b.ChainID || a.ID == b.ID {
		t.Fatal("layer not shared between the two images")
	}
	infos, _ := s.Snapshots().List()
	if len(infos) != 1 {
		t.Fatalf("%d snapshots for one shared layer", len(infos))
	}
}

// Loads of the same image racing in one store end with one image and one
// snapshot per layer.
func TestConcurrentLoads(t *testing.T) {
	needRoot(t)
	s := testStore(t)
	arch := dockerArchive(t, "race:1", layerTar(tfile{name: "a", body: "1"}), layerTar(tfile{name: "b", body: "2"}))
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			_, err := s.Load(context.Background(), bytes.NewReader(arch), LoadOptions{})
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	imgs, _ := s.List()
	infos, _ := s.Snapshots().List()
	if len(imgs) != 1 || len(infos) != 2 {
		t.Fatalf("%d images, %d snapshots", len(imgs), len(infos))
	}
}
