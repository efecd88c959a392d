package build

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzDockerfile: any Dockerfile parses into stages or gives an error,
// never a panic. Seeds in testdata/fuzz/FuzzDockerfile.
func FuzzDockerfile(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		df, err := Parse(bytes.NewReader(data))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, st := range df.Stages {
			if st == nil {
				t.Fatal("nil stage")
			}
		}
	})
}

// FuzzDockerignore: any .dockerignore parses or gives an error, and
// matching never panics; an excluded path's ancestors are consistent
// with MayIncludeUnder. Seeds in testdata/fuzz/FuzzDockerignore.
func FuzzDockerignore(f *testing.F) {
	paths := []string{"a", "a/b", "a/b/c.txt", ".git", "secret", "sub/secret", "Dockerfile", ".dockerignore", "x.go", "dir/", "a b/c"}
	f.Fuzz(func(t *testing.T, data []byte) {
		ig, err := ParseIgnore(bytes.NewReader(data))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, p := range paths {
			ig.Excluded(p)
			ig.MayIncludeUnder(strings.TrimSuffix(p, "/"))
		}
	})
}
