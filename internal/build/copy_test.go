package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jinn-containers/jinn/internal/fsroot"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if strings.HasPrefix(c, "->") {
			if err := os.Symlink(c[2:], full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func copyInto(t *testing.T, ctxDir string, ig *Ignore, srcs []string, dest string, destIsDir bool) (string, error) {
	t.Helper()
	src, err := fsroot.OpenBeneath(ctxDir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	paths, err := expandSources(src, ig, srcs)
	if err != nil {
		return "", err
	}
	ops, err := planCopy(src, ig, paths, dest, destIsDir)
	if err != nil {
		return "", err
	}
	out := t.TempDir()
	dst, err := fsroot.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	return out, applyOps(src, dst, ops, nil, nil)
}

func TestCopySemantics(t *testing.T) {
	ctx := t.TempDir()
	writeTree(t, ctx, map[string]string{
		"a.txt": "a", "b.txt": "b", "dir/x": "x", "dir/sub/y": "y", "dir/link": "->x",
		"dir/skip.key": "k", "out": "->/etc/hostname", "up": "->../../x",
	})
	ig, _ := ParseIgnore(strings.NewReader("**/*.key\n"))
	out, err := copyInto(t, ctx, ig, []string{"dir"}, "/app", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"app/x", "app/sub/y"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("%s missing: %v", p, err)
		}
	}
	if l, err := os.Readlink(filepath.Join(out, "app/link")); err != nil || l != "x" {
		t.Errorf("symlink not kept: %q %v", l, err)
	}
	if _, err := os.Stat(filepath.Join(out, "app/skip.key")); err == nil {
		t.Error(".dockerignore'd file copied")
	}
	out, err = copyInto(t, ctx, ig, []string{"*.txt"}, "/d/", true)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "d/b.txt")); string(b) != "b" {
		t.Errorf("glob copy: %q", b)
	}
	if _, err := copyInto(t, ctx, ig, []string{"*.txt"}, "/d", false); err == nil {
		t.Error("several sources onto a non-directory accepted")
	}
	for _, bad := range []string{"../x", "out", "up", "missing", "dir/skip.key"} {
		if _, err := copyInto(t, ctx, ig, []string{bad}, "/z", false); err == nil {
			t.Errorf("COPY %s: no error", bad)
		}
	}
}

func TestCopyDestSymlinkStaysInRoot(t *testing.T) {
	ctx := t.TempDir()
	writeTree(t, ctx, map[string]string{"f": "data"})
	img := t.TempDir()
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(img, "evil"))
	src, _ := fsroot.OpenBeneath(ctx)
	dst, _ := fsroot.Open(img)
	ops, err := planCopy(src, nil, []source{{"f", "f"}}, "/evil/f", false)
	if err != nil {
		t.Fatal(err)
	}
	applyOps(src, dst, ops, nil, nil) // an error is fine; escaping is not
	if _, err := os.Stat(filepath.Join(outside, "f")); err == nil {
		t.Fatal("COPY followed an image symlink out of the root")
	}
}

func TestResolveSourceHonoursIgnore(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"secret": "s", "ok": "o", "priv/key": "k", "pub/x": "x", "pub/y.key": "y",
		"alias": "->secret", "sub": "->.", "abs": "->/secret", "up": "->../../../secret",
		"dirlink": "->priv", "oklink": "->pub/x", "loop": "->loop",
	})
	ig, err := ParseIgnore(strings.NewReader("secret\npriv\n*/*.key\n"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := fsroot.OpenBeneath(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for rel, want := range map[string]string{
		"ok": "ok", "oklink": "pub/x", "sub/sub/oklink": "pub/x", "sub/pub": "pub", ".": "",
		"alias": "", "sub/secret": "", "abs": "", "up": "", "dirlink": "", "dirlink/key": "",
		"sub/pub/y.key": "", "loop": "",
	} {
		got, err := resolveSource(src, ig, rel)
		if want == "" && rel != "." {
			if err == nil {
				t.Errorf("%s resolved to %q, want not found", rel, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", rel, got, err, want)
		}
	}
}
