package reference

import (
	"strings"
	"testing"

	upstream "github.com/distribution/reference"
)

// seeds are references from distribution/reference's own tests and the
// corners of the grammar: domains, ports, IPv6, separators, tags, digests,
// upper case, lengths.
var seeds = []string{
	"", "busybox", "busybox:latest", "library/busybox", "docker.io/busybox", "index.docker.io/busybox",
	"docker.io/library/busybox:1.36", "me/app", "me/app:v1", "localhost/app", "localhost:5000/app:tag",
	"127.0.0.1:5000/a/b/c", "[::1]:5000/app", "[2001:db8::1]/app:1", "[::1]/app", "[::1]", "[]/app", "[::1]]/a",
	"example.com/app", "example.com:/app", "example.com:x/app", "ex-ample.com/a", "-ex.com/a", "ex-.com/a",
	"Foo/bar", "foo/Bar", "FOO", "Foo", "a_b.c/x", "a__b", "a___b", "a-b", "a--b", "a._b", "a.b", "a..b",
	"a/", "/a", "a//b", ":tag", "a:", "a:-x", "a:_x", "a:x.y-z", "a:" + strings.Repeat("t", 128), "a:" + strings.Repeat("t", 129),
	"a@sha256:" + strings.Repeat("a", 64), "a:t@sha256:" + strings.Repeat("a", 64), "a@sha256:" + strings.Repeat("A", 64),
	"a@sha256:" + strings.Repeat("a", 63), "a@sha512:" + strings.Repeat("b", 128), "a@md5:" + strings.Repeat("c", 32),
	"a@sha256+b64u:" + strings.Repeat("d", 64), "a@1sha:" + strings.Repeat("d", 64), "a@@sha256:" + strings.Repeat("a", 64),
	"a@", "@sha256:" + strings.Repeat("a", 64), strings.Repeat("a", 64), strings.Repeat("a", 63), strings.Repeat("A", 64),
	"sha256:" + strings.Repeat("a", 64), strings.Repeat("a", 256), "x/" + strings.Repeat("a", 254), "x/" + strings.Repeat("a", 253),
	"host.io/" + strings.Repeat("a", 256), "\u212Aubuntu", "ubuntu\u212A/x", "İ", "a b", "a\x00b", "a/b:c/d", "a:b/c",
	"registry.example.com:5000/team/app:2024.01-rc_1@sha256:" + strings.Repeat("0", 64), "my.reg/a:b:c", "x.y:1:2/a",
}

func FuzzDifferential(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { compare(t, s) })
}

func TestSeeds(t *testing.T) {
	for _, s := range seeds {
		compare(t, s)
	}
}

// compare holds ParseNormalizedNamed and the helpers jinn uses to
// distribution/reference's results for s.
func compare(t *testing.T, s string) {
	t.Helper()
	want, werr := upstream.ParseNormalizedNamed(s)
	got, gerr := ParseNormalizedNamed(s)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("%q: error %v, want %v", s, gerr, werr)
	}
	if werr != nil {
		return
	}
	_, wt := want.(upstream.Tagged)
	_, gt := got.(Tagged)
	_, wd := want.(upstream.Digested)
	_, gd := got.(Digested)
	pairs := [][2]string{
		{got.String(), want.String()},
		{got.Name(), want.Name()},
		{FamiliarString(got), upstream.FamiliarString(want)},
		{FamiliarName(got), upstream.FamiliarName(want)},
		{TagNameOnly(got).String(), upstream.TagNameOnly(want).String()},
		{TrimNamed(got).String(), upstream.TrimNamed(want).String()},
		{upstream.Domain(want) + "|" + upstream.Path(want), got.(namedRepository).Domain() + "|" + got.(namedRepository).Path()},
	}
	for i, p := range pairs {
		if p[0] != p[1] {
			t.Fatalf("%q: result %d is %q, want %q", s, i, p[0], p[1])
		}
	}
	if wt != gt || wd != gd {
		t.Fatalf("%q: tagged %v digested %v, want %v %v", s, gt, gd, wt, wd)
	}
	if wt {
		if g, w := got.(Tagged).Tag(), want.(upstream.Tagged).Tag(); g != w {
			t.Fatalf("%q: tag %q, want %q", s, g, w)
		}
	}
	if wd {
		if g, w := got.(Digested).Digest(), want.(upstream.Digested).Digest(); g != w {
			t.Fatalf("%q: digest %q, want %q", s, g, w)
		}
	}
}
