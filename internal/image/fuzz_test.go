package image

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// fuzzLayer is the one layer every fuzzed image points at.
var fuzzLayer = layerTar(tfile{name: "bin/"}, tfile{name: "bin/sh", body: "#!"}, tfile{name: "etc/passwd", body: "root:x:0:0::/:/bin/sh\n"})

// fuzzLoad loads the archive of files into a fresh store and checks the
// error is one line.
func fuzzLoad(t *testing.T, base string, files map[string][]byte) {
	dir, err := os.MkdirTemp(base, "store-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for name, data := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	tw.Close()
	var warn bytes.Buffer
	_, err = s.Load(context.Background(), &b, LoadOptions{Warn: &warn})
	if err != nil && (err.Error() == "" || strings.ContainsAny(err.Error(), "\n\r")) {
		t.Fatalf("load error not one line: %q", err)
	}
	for _, l := range strings.Split(strings.TrimSuffix(warn.String(), "\n"), "\n") {
		if len(l) > 512 {
			t.Fatalf("a warning of %d bytes", len(l))
		}
	}
}

// placeholders put the real digests and sizes into fuzzed JSON, so the
// fuzzer reaches past "blob missing" into the manifest, config and index.
func placeholders(m map[string]string, b []byte) []byte {
	s := string(b)
	for k, v := range m {
		s = strings.ReplaceAll(s, k, v)
	}
	return []byte(s)
}

// FuzzLoadOCI: an OCI layout of any index.json, manifest and config
// (with $CONFIG, $CSIZE, $LAYER, $LSIZE, $DIFFID, $MANIFEST, $MSIZE
// standing for the real digests and sizes) loads or fails with one line;
// never a panic. Seeds in testdata/fuzz/FuzzLoadOCI.
func FuzzLoadOCI(f *testing.F) {
	if os.Geteuid() != 0 {
		f.Skip("needs root (layers are unpacked with their owners)")
	}
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, index, manifest, config []byte) {
		ld := digest.FromBytes(fuzzLayer)
		config = placeholders(map[string]string{"$DIFFID": ld.String()}, config)
		cd := digest.FromBytes(config)
		manifest = placeholders(map[string]string{"$CONFIG": cd.String(), "$CSIZE": strconv.Itoa(len(config)),
			"$LAYER": ld.String(), "$LSIZE": strconv.Itoa(len(fuzzLayer))}, manifest)
		md := digest.FromBytes(manifest)
		index = placeholders(map[string]string{"$MANIFEST": md.String(), "$MSIZE": strconv.Itoa(len(manifest))}, index)
		fuzzLoad(t, base, map[string][]byte{
			"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`), "index.json": index,
			"blobs/sha256/" + cd.Encoded(): config, "blobs/sha256/" + md.Encoded(): manifest,
			"blobs/sha256/" + ld.Encoded(): fuzzLayer,
		})
	})
}

// FuzzLoadDocker: a docker-archive of any manifest.json and config
// ($CONFIG and $LAYER name their files, $DIFFID is the layer's) loads or
// fails with one line. Seeds in testdata/fuzz/FuzzLoadDocker.
func FuzzLoadDocker(f *testing.F) {
	if os.Geteuid() != 0 {
		f.Skip("needs root (layers are unpacked with their owners)")
	}
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, manifest, config []byte) {
		ld := digest.FromBytes(fuzzLayer)
		config = placeholders(map[string]string{"$DIFFID": ld.String()}, config)
		cname := digest.FromBytes(config).Encoded() + ".json"
		manifest = placeholders(map[string]string{"$CONFIG": cname, "$LAYER": ld.Encoded() + "/layer.tar"}, manifest)
		fuzzLoad(t, base, map[string][]byte{"manifest.json": manifest, cname: config, ld.Encoded() + "/layer.tar": fuzzLayer})
	})
}
