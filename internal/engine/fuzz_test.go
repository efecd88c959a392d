package engine

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzMountSpec: any -v or --mount value parses into a mount point the
// create checks accept, or gives a one-line error; never a panic. Seeds
// in testdata/fuzz/FuzzMountSpec.
func FuzzMountSpec(f *testing.F) {
	f.Fuzz(func(t *testing.T, spec string) {
		for _, parse := range []func(string) (MountPoint, error){parseVolumeSpec, parseMountSpec} {
			m, err := parse(spec)
			if err == nil && filepath.IsAbs(m.Destination) {
				err = checkMountDest(filepath.Clean(m.Destination))
			}
			if err != nil {
				if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") || len(msg) > 400 {
					t.Fatalf("%q: error not one short line: %q", spec, msg)
				}
				continue
			}
			if m.Type == "bind" && !filepath.IsAbs(m.Source) {
				t.Fatalf("%q: a bind of a relative source: %+v", spec, m)
			}
			if m.Type != "bind" && m.Type != "volume" && m.Type != "tmpfs" {
				t.Fatalf("%q: type %q", spec, m.Type)
			}
		}
	})
}
