package image

import (
	"fmt"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"github.com/jinn-containers/jinn/internal/image/reference"
)

// ParseRef parses a docker-style reference and normalises it: "busybox"
// becomes docker.io/library/busybox:latest. Digested references keep their
// digest and get no tag.
func ParseRef(s string) (reference.Named, error) {
	if len(s) > 255+1+128+72 { // name, tag or digest: longer is not a reference
		return nil, fmt.Errorf("invalid reference: %d characters long", len(s))
	}
	n, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, fmt.Errorf("invalid reference %q: %w", clip(s), err)
	}
	if _, ok := n.(reference.Digested); ok {
		return n, nil
	}
	return reference.TagNameOnly(n), nil
}

// Familiar is the short form docker prints ("busybox:latest").
func Familiar(full string) string {
	n, err := reference.ParseNormalizedNamed(full)
	if err != nil {
		return full
	}
	return reference.FamiliarString(n)
}

// idCandidate returns the hex part of s if s can be an image ID or prefix
// ("3f57d9401f8d", "sha256:3f57…").
func idCandidate(s string) (string, bool) {
	h := strings.TrimPrefix(s, "sha256:")
	if h == "" || len(h) > 64 {
		return "", false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	return h, true
}

// resolveID finds the image a reference names in m. Names win over ID
// prefixes (as in docker), except a full 64-hex ID.
func (m *meta) resolve(ref string) (digest.Digest, error) {
	if h, ok := idCandidate(ref); ok && (len(h) == 64 || strings.HasPrefix(ref, "sha256:")) {
		return m.byPrefix(ref, h)
	}
	if n, err := ParseRef(ref); err == nil {
		if id, ok := m.Refs[n.String()]; ok {
			return id, nil
		}
	} else if _, ok := idCandidate(ref); !ok {
		return "", err
	}
	if h, ok := idCandidate(ref); ok {
		return m.byPrefix(ref, h)
	}
	return "", fmt.Errorf("%w: %s", ErrNotFound, ref)
}

func (m *meta) byPrefix(ref, h string) (digest.Digest, error) {
	var found digest.Digest
	for id := range m.Images {
		if strings.HasPrefix(id.Encoded(), h) {
			if found != "" {
				return "", fmt.Errorf("%s: %w", ref, ErrAmbiguous)
			}
			found = id
		}
	}
	if found == "" {
		return "", fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	return found, nil
}
