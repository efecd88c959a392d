package image

import (
	"fmt"
	"runtime"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func defaultArch() string { return runtime.GOARCH }

// DefaultPlatform is the host's: linux/amd64 here.
func DefaultPlatform() ocispec.Platform {
	return ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

// ParsePlatform parses "os/arch[/variant]" ("" gives the default).
func ParsePlatform(s string) (ocispec.Platform, error) {
	if s == "" {
		return DefaultPlatform(), nil
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return ocispec.Platform{}, fmt.Errorf("invalid platform %q: want os/arch[/variant]", s)
	}
	p := ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// matchPlatform tells whether an index entry's platform p is the wanted one.
func matchPlatform(want ocispec.Platform, p *ocispec.Platform) bool {
	if p == nil {
		return false
	}
	if p.OS != want.OS || p.Architecture != want.Architecture {
		return false
	}
	return want.Variant == "" || p.Variant == want.Variant
}

// CheckHostPlatform refuses a --platform other than the host's, for what
// works on the host's platform only ("" is the host's).
func CheckHostPlatform(s string) error {
	want, err := ParsePlatform(s)
	if err != nil {
		return err
	}
	host := DefaultPlatform()
	if want.OS != host.OS || want.Architecture != host.Architecture {
		return fmt.Errorf("platform %s is not supported: only the host's platform (%s/%s)", s, host.OS, host.Architecture)
	}
	return nil
}
