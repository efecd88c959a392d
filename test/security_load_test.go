package test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readTar reads a small archive into memory (the busybox image fixture).
func readTar(t *testing.T, path string) (names []string, files map[string][]byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files = map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		files[h.Name] = b
	}
}

func writeTar(t *testing.T, names []string, files map[string][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg})
		tw.Write(files[n])
	}
	tw.Close()
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSecurityLoadBadTags: invalid RepoTags of a docker-archive are
// warned about (one short line each, never the whole value) and skipped;
// the image and its valid tags load.
func TestSecurityLoadBadTags(t *testing.T) {
	names, files := readTar(t, filepath.Join(fixturesDir, "images", "busybox.tar"))
	var man []map[string]any
	if err := json.Unmarshal(files["manifest.json"], &man); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a", 10000) + ":x"
	man[0]["RepoTags"] = []string{"good:1", "BAD TAG", "UPPER:1", "x@sha256:" + strings.Repeat("0", 64),
		"bad:tag:twice", long, "other/good:2", ""}
	files["manifest.json"], _ = json.Marshal(man)
	tarPath := writeTar(t, names, files)
	j := newJinn(t, "jinn-runtime")
	out, errs, code := j.run("load", "-i", tarPath)
	if code != 0 {
		t.Fatalf("load: exit %d: %s", code, errs)
	}
	warnings := strings.Split(strings.TrimSpace(errs), "\n")
	if len(warnings) != 6 {
		t.Errorf("want 6 warnings, one per bad tag; got %d:\n%s", len(warnings), errs)
	}
	for _, w := range warnings {
		if !strings.Contains(w, "Warning") || len(w) > 400 {
			t.Errorf("warning not one short line: %.200q (%d bytes)", w, len(w))
		}
	}
	if strings.Contains(out, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") {
		t.Errorf("the long tag was echoed")
	}
	tags := j.ok("images", "--format", "{{.Repository}}:{{.Tag}}")
	for _, want := range []string{"good:1", "other/good:2"} {
		if !strings.Contains(tags, want+"\n") {
			t.Errorf("valid tag %s not loaded; images:\n%s", want, tags)
		}
	}
	if n := len(strings.Fields(tags)); n != 2 {
		t.Errorf("images lists %d tags, want 2:\n%s", n, tags)
	}
}

// ociLayout makes an OCI image layout archive of the busybox fixture,
// with mutate changing the descriptors' sizes before they are written.
func ociLayout(t *testing.T, mutate func(index, manifest map[string]any)) string {
	t.Helper()
	_, files := readTar(t, filepath.Join(fixturesDir, "images", "busybox.tar"))
	var man []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(files["manifest.json"], &man); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`)}
	var names []string
	blob := func(b []byte) map[string]any {
		sum := sha256.Sum256(b)
		d := "sha256:" + hex.EncodeToString(sum[:])
		n := "blobs/sha256/" + hex.EncodeToString(sum[:])
		if _, ok := out[n]; !ok {
			names = append(names, n)
		}
		out[n] = b
		return map[string]any{"digest": d, "size": len(b)}
	}
	cfg := blob(files[man[0].Config])
	cfg["mediaType"] = "application/vnd.oci.image.config.v1+json"
	var layers []any
	for _, l := range man[0].Layers {
		d := blob(files[l])
		d["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
		layers = append(layers, d)
	}
	m := map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": cfg, "layers": layers}
	idx := map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json"}
	// The manifest's descriptor is made after mutate changed the manifest.
	mutate(nil, m)
	mb, _ := json.Marshal(m)
	md := blob(mb)
	md["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
	md["annotations"] = map[string]string{"org.opencontainers.image.ref.name": "sized/image:1"}
	idx["manifests"] = []any{md}
	mutate(idx, nil)
	out["index.json"], _ = json.Marshal(idx)
	return writeTar(t, append([]string{"oci-layout", "index.json"}, names...), out)
}

// TestSecurityLoadDescriptorSizes: an OCI layout whose descriptors give
// negative sizes or sizes beyond the blob is refused, with one line and
// nothing stored; exact sizes load.
func TestSecurityLoadDescriptorSizes(t *testing.T) {
	j := newJinn(t, "jinn-runtime")
	manifestSize := func(n func(int) int) func(idx, m map[string]any) {
		return func(idx, _ map[string]any) {
			if idx != nil {
				d := idx["manifests"].([]any)[0].(map[string]any)
				d["size"] = n(d["size"].(int))
			}
		}
	}
	configSize := func(n func(int) int) func(idx, m map[string]any) {
		return func(_, m map[string]any) {
			if m != nil {
				d := m["config"].(map[string]any)
				d["size"] = n(d["size"].(int))
			}
		}
	}
	layerSize := func(n func(int) int) func(idx, m map[string]any) {
		return func(_, m map[string]any) {
			if m != nil {
				d := m["layers"].([]any)[0].(map[string]any)
				d["size"] = n(d["size"].(int))
			}
		}
	}
	neg := func(int) int { return -1 }
	big := func(s int) int { return s + 1 }
	huge := func(int) int { return 1 << 62 }
	for what, mut := range map[string]func(idx, m map[string]any){
		"manifest size -1": manifestSize(neg), "manifest size beyond the blob": manifestSize(big),
		"manifest size 2^62": manifestSize(huge),
		"config size -1":     configSize(neg), "config size beyond the blob": configSize(big),
		"layer size -1": layerSize(neg), "layer size beyond the blob": layerSize(big), "layer size 2^62": layerSize(huge),
	} {
		out, errs, code := j.run("load", "-i", ociLayout(t, mut))
		if code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "size") {
			t.Errorf("%s: exit %d, want a one-line refusal naming the size; stdout %q stderr %q", what, code, out, errs)
		}
		if imgs := strings.TrimSpace(j.ok("images", "-q")); imgs != "" {
			t.Errorf("%s: the refused load stored images: %q", what, imgs)
		}
	}
	j.ok("load", "-i", ociLayout(t, func(_, _ map[string]any) {}))
	if out := j.ok("run", "--rm", "sized/image:1", "echo", "ok"); strings.TrimSpace(out) != "ok" {
		t.Errorf("exact sizes: %q", out)
	}
}
