package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurityEngineDockerignoreSymlinks: symlinks in the build context
// cannot carry an ignored file into an image. As docker does, the context
// is what would be sent (ignored paths are not in it, symlinks stay
// symlinks) and COPY follows a source's symlinks only inside it.
func TestSecurityEngineDockerignoreSymlinks(t *testing.T) {
	e := newBuildEnv(t)
	ctx := t.TempDir()
	const secret = "TOPSECRET"
	writeFiles(t, ctx, map[string]string{
		".dockerignore": "secret\nprivate\n**/*.key\nsécret-*\n",
		"secret":        secret, "private/key": secret, "keys/a.key": secret, "keys/ok": "fine",
		"sécret-é.txt": secret, "ok.txt": "fine",
	})
	for link, target := range map[string]string{
		"alias": "secret", "sub": ".", "linkdir": "private", "abs": "/secret", "keylink": "keys/a.key",
		"up": "../../../../" + filepath.Base(ctx) + "/secret", "keys/back": "../secret",
	} {
		if err := os.Symlink(target, filepath.Join(ctx, link)); err != nil {
			t.Fatal(err)
		}
	}
	// Each of these reaches only ignored files: not found, as in docker.
	for _, src := range []string{"alias", "sub/secret", "linkdir", "linkdir/key", "abs", "keylink", "up",
		"sub/sub/alias", "keys/back", "sub/keys/a.key", "sécret-é.txt", "sub/sécret-*", "linkdir/*", "*/a.key"} {
		writeFiles(t, ctx, map[string]string{"Dockerfile": "FROM busybox\nCOPY " + src + " /x/\n"})
		out, err := e.build("-q", "-t", "leak", ctx)
		if err == nil {
			t.Errorf("COPY %s: built, want not found", src)
			e.runLeakCheck(secret)
			continue
		}
		if !strings.Contains(out, "not found") && !strings.Contains(out, "excluded") && !strings.Contains(out, "no files") {
			t.Errorf("COPY %s: %s", src, out)
		}
	}
	// These copy what is not ignored; nothing ignored may come with them,
	// whether read as a file or through a copied symlink.
	writeFiles(t, ctx, map[string]string{"Dockerfile": "FROM busybox\n" +
		"COPY . /x/all/\nCOPY sub /x/sub/\nCOPY sub/keys/ /x/keys/\nCOPY sub/* /x/glob/\nCOPY *.txt /x/txt/\n"})
	e.mustBuild("-q", "-t", "leak", ctx)
	out := e.runIn("leak", "sh", "-c", "ls -R /x; grep -Rs TOPSECRE[T] /x; cat /x/*/alias /x/*/sub/secret /x/txt/* 2>/dev/null; true")
	if strings.Contains(out, secret) {
		t.Errorf("an ignored file reached the image:\n%s", out)
	}
	for _, want := range []string{"ok.txt", "fine"} {
		if !strings.Contains(out, want) {
			t.Errorf("the image lacks %s:\n%s", want, out)
		}
	}
	runJinn(e, "rmi", "leak", "busybox")
}

// runLeakCheck reports what a build that should have failed put in /x.
func (e *buildEnv) runLeakCheck(secret string) {
	e.t.Helper()
	if out := e.runIn("leak", "sh", "-c", "grep -Rs TOPSECRE[T] /x; true"); strings.Contains(out, secret) {
		e.t.Errorf("an ignored file reached the image:\n%s", out)
	}
}
