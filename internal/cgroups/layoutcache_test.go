package cgroups

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestDetectLayoutCached: the remembered layout is the detected one, and
// a damaged, stale or tampered file is detected again and rewritten.
func TestDetectLayoutCached(t *testing.T) {
	want, err := DetectLayout()
	if err != nil {
		t.Skipf("no cgroup file system mounted: %v", err)
	}
	file := filepath.Join(t.TempDir(), "run", "cgroup-layout.json")
	for i := range 2 { // the first detects and writes, the second reads
		got, err := DetectLayoutCached(file)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: layout %+v, want %+v", i, got, want)
		}
	}
	var c layoutCache
	b, _ := os.ReadFile(file)
	if err := json.Unmarshal(b, &c); err != nil || c.Hierarchies == "" || len(c.Roots) == 0 {
		t.Fatalf("cache file %s: %v", b, err)
	}
	key := hierarchyKey()
	if l := readLayoutCache(file, key); l == nil {
		t.Fatal("a fresh cache does not hold")
	}
	if l := readLayoutCache(file, key+";99:made-up"); l != nil {
		t.Error("a cache made with other hierarchies held")
	}
	// A mount point that is no longer its hierarchy's root, or no
	// cgroup file system at all.
	for m := range c.Roots {
		bad := c
		bad.Roots = map[string][2]uint64{}
		for k, v := range c.Roots {
			bad.Roots[k] = v
		}
		bad.Roots[m] = [2]uint64{c.Roots[m][0], c.Roots[m][1] + 1}
		b, _ := json.Marshal(&bad)
		os.WriteFile(file, b, 0o600)
		if l := readLayoutCache(file, key); l != nil {
			t.Errorf("a cache with %s's root changed held", m)
		}
		break
	}
	moved := c
	moved.Layout = &Layout{V1: map[string]string{"memory": t.TempDir()}, Mounts: []string{}}
	b, _ = json.Marshal(&moved)
	os.WriteFile(file, b, 0o600)
	if l := readLayoutCache(file, key); l != nil {
		t.Error("a cache naming a directory that is no cgroup mount held")
	}
	os.WriteFile(file, []byte("{garbled"), 0o600)
	got, err := DetectLayoutCached(file)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("after damage: %+v %v", got, err)
	}
	if l := readLayoutCache(file, key); l == nil {
		t.Error("a damaged cache was not rewritten")
	}
}
