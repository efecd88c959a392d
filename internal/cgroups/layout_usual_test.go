package cgroups

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// The usual places give what mountinfo gives, on this host.
func TestDetectUsualMatchesMountinfo(t *testing.T) {
	fast, ok := detectUsual("/proc/self/cgroup", "/sys/fs/cgroup")
	if !ok {
		t.Skipf("cgroup hierarchies not all under /sys/fs/cgroup here")
	}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	slow, err := parseMountinfo(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fast.V1, slow.V1) || !reflect.DeepEqual(fast.Named, slow.Named) || fast.Unified != slow.Unified {
		t.Fatalf("usual places: %+v\nmountinfo: %+v", fast, slow)
	}
	set := func(m []string) []string {
		seen := map[string]bool{}
		var out []string
		for _, x := range m {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
		sort.Strings(out)
		return out
	}
	if f, s := set(fast.Mounts), set(slow.Mounts); !reflect.DeepEqual(f, s) {
		t.Fatalf("mounts: usual places %v, mountinfo %v", f, s)
	}
}

// Anything unusual sends DetectLayout to mountinfo: a directory that is
// not a cgroup mount, a cgroup path missing under the mount (a mount of
// another root), a garbled line.
func TestDetectUsualDeclines(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "memory", "a"), 0o755)
	for _, content := range []string{
		"4:memory:/a\n",             // a plain directory, not a cgroup mount
		"4:memory:/no-such\n0::/\n", // (also) not a mount
		"garbled\n",                 // not ID:controllers:path
		"4:memory:relative\n",       // not a path
		"4:name=../../etc:/\n",      // a name with a slash
		"",                          // nothing at all
	} {
		f := filepath.Join(dir, "cgroup")
		os.WriteFile(f, []byte(content), 0o644)
		if l, ok := detectUsual(f, dir); ok {
			t.Errorf("%q: took %+v", content, l)
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup"); err != nil {
		return
	}
	// The real mounts, but a cgroup path that is not there.
	os.WriteFile(filepath.Join(dir, "cgroup"), []byte("0::/jinn-no-such-cgroup-xyz\n"), 0o644)
	if l, ok := detectUsual(filepath.Join(dir, "cgroup"), "/sys/fs/cgroup"); ok {
		t.Errorf("missing cgroup path: took %+v", l)
	}
}
