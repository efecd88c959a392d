package cgroups

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// The two ways of finding the cgroup mounts agree on this host.
func TestStatmountMatchesMountinfo(t *testing.T) {
	got, err := statmountCgroups()
	if err != nil {
		t.Skipf("statmount(2) with mount options (Linux 6.11): %v", err)
	}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	want, err := parseMountinfo(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(LayoutOf(got), LayoutOf(want)) {
		t.Errorf("statmount:\n%+v\nmountinfo:\n%+v", got, want)
	}
}
