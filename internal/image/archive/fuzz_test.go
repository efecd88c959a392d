package archive

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzApply: any layer tar unpacks into its directory or fails, never
// writes outside it and never panics. Seeds in testdata/fuzz/FuzzApply.
func FuzzApply(f *testing.F) {
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		dir, err := os.MkdirTemp(base, "apply-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		root, outside := filepath.Join(dir, "root"), filepath.Join(dir, "outside")
		os.Mkdir(root, 0o755)
		os.Mkdir(outside, 0o755)
		Apply(context.Background(), root, bytes.NewReader(data), ApplyOptions{MaxSize: 1 << 20})
		ents, _ := os.ReadDir(dir)
		if len(ents) != 2 {
			t.Fatalf("the layer wrote beside its directory: %v", ents)
		}
		if ents, _ := os.ReadDir(outside); len(ents) != 0 {
			t.Fatalf("the layer wrote outside its directory: %v", ents)
		}
	})
}
