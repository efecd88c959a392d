package build

import (
	"strings"
	"testing"
)

func TestIgnore(t *testing.T) {
	ig, err := ParseIgnore(strings.NewReader(`
# comment
*.key
/build
docs/**/*.md
!docs/keep/README.md
node_modules
**/tmp
[ab].txt
`))
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"a.key": true, "sub/a.key": false, "build": true, "build/x/y": true,
		"docs/a.md": true, "docs/x/y/z.md": true, "docs/keep/README.md": false, "docs/a.txt": false,
		"node_modules/x/index.js": true, "tmp": true, "a/b/tmp/c": true, "a.txt": true, "c.txt": false,
		"Dockerfile": false, "src/main.go": false,
	} {
		if got := ig.Excluded(p); got != want {
			t.Errorf("Excluded(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestIgnoreErrors(t *testing.T) {
	if _, err := ParseIgnore(strings.NewReader("!\n")); err == nil {
		t.Error("a lone ! was accepted")
	}
	if _, err := ParseIgnore(strings.NewReader("[abc\n")); err == nil {
		t.Error("an unterminated class was accepted")
	}
}

func TestIgnoreNonASCII(t *testing.T) {
	ig, err := ParseIgnore(strings.NewReader("sécret*\n日本/**\nä?.txt\n[é]x\n"))
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"sécret.key": true, "secret.key": false, "日本/a/b": true, "日本語": false,
		"äb.txt": true, "äbc.txt": false, "éx": true, "ex": false,
	} {
		if got := ig.Excluded(p); got != want {
			t.Errorf("Excluded(%q) = %v, want %v", p, got, want)
		}
	}
}
