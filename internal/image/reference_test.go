package image

import (
	"errors"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

func TestParseRef(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                        "docker.io/library/busybox:latest",
		"busybox:1.36":                   "docker.io/library/busybox:1.36",
		"library/busybox":                "docker.io/library/busybox:latest",
		"docker.io/busybox":              "docker.io/library/busybox:latest",
		"me/app:v1":                      "docker.io/me/app:v1",
		"localhost:5000/app":             "localhost:5000/app:latest",
		"example.com/a/b/c:t":            "example.com/a/b/c:t",
		"busybox@sha256:" + hex64('a'):   "docker.io/library/busybox@sha256:" + hex64('a'),
		"busybox:1@sha256:" + hex64('b'): "docker.io/library/busybox:1@sha256:" + hex64('b'),
	} {
		n, err := ParseRef(in)
		if err != nil || n.String() != want {
			t.Errorf("ParseRef(%q) = %v, %v; want %s", in, n, err, want)
		}
	}
	for _, bad := range []string{"", "UPPER", "a b", "busybox:", ":tag", "busybox@sha256:short"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q) accepted", bad)
		}
	}
	if f := Familiar("docker.io/library/busybox:latest"); f != "busybox:latest" {
		t.Errorf("Familiar = %s", f)
	}
	if f := Familiar("example.com/x:1"); f != "example.com/x:1" {
		t.Errorf("Familiar = %s", f)
	}
}

func hex64(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

func TestResolve(t *testing.T) {
	a := digest.Digest("sha256:" + "abc1" + hex64('0')[4:])
	b := digest.Digest("sha256:" + "abc2" + hex64('0')[4:])
	c := digest.Digest("sha256:" + "beef" + hex64('0')[4:])
	m := &meta{
		Images: map[digest.Digest]*record{a: {}, b: {}, c: {}},
		Refs: map[string]digest.Digest{
			"docker.io/library/busybox:latest":               a,
			"docker.io/library/beef:latest":                  b, // a name that is also a hex prefix
			"docker.io/library/busybox@sha256:" + hex64('d'): c,
		},
	}
	for ref, want := range map[string]digest.Digest{
		"busybox":                          a,
		"docker.io/library/busybox:latest": a,
		"beef":                             b, // names win over ID prefixes
		"sha256:beef":                      c,
		"abc2":                             b,
		c.String():                         c,
		c.Encoded():                        c,
		"busybox@sha256:" + hex64('d'):     c,
	} {
		got, err := m.resolve(ref)
		if err != nil || got != want {
			t.Errorf("resolve(%q) = %s, %v; want %s", ref, got, err, want)
		}
	}
	if _, err := m.resolve("abc"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("ambiguous prefix: %v", err)
	}
	for _, ref := range []string{"nosuch", "busybox:2", "ffff", "sha256:ffff"} {
		if _, err := m.resolve(ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("resolve(%q): %v, want ErrNotFound", ref, err)
		}
	}
}

func TestParsePlatform(t *testing.T) {
	p, err := ParsePlatform("linux/arm64/v8")
	if err != nil || p.OS != "linux" || p.Architecture != "arm64" || p.Variant != "v8" {
		t.Fatalf("%+v %v", p, err)
	}
	if p, _ := ParsePlatform(""); p.OS != "linux" || p.Architecture == "" {
		t.Fatalf("default %+v", p)
	}
	for _, bad := range []string{"linux", "/amd64", "a/b/c/d"} {
		if _, err := ParsePlatform(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestChainID(t *testing.T) {
	a, b := digest.FromString("a"), digest.FromString("b")
	if ChainID([]digest.Digest{a}) != a {
		t.Fatal("single layer chain ID is its diff ID")
	}
	if ChainID([]digest.Digest{a, b}) != digest.FromString(a.String()+" "+b.String()) {
		t.Fatal("chain ID of two layers")
	}
	if chainOn(a, b) != ChainID([]digest.Digest{a, b}) {
		t.Fatal("chainOn disagrees")
	}
}
