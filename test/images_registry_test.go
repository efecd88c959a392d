package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jinn-containers/jinn/internal/testutil"
)

func TestImagesLoginPushPull(t *testing.T) {
	var corrupt atomic.Bool
	host := testutil.Registry(t, &corrupt)
	cfgDir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", cfgDir)
	root := t.TempDir()
	jinnOK(t, root, "load", "-i", imageFixture(t, "busybox"))
	ref := host + "/team/busybox:v1"
	jinnOK(t, root, "tag", "busybox", ref)

	if _, stderr := jinnCmd(t, root, nil, true, "push", ref); !strings.Contains(strings.ToLower(stderr), "unauthorized") {
		t.Fatalf("push without login: %q", stderr)
	}
	if _, stderr := jinnCmd(t, root, []byte("wrong\n"), true, "login", "-u", "alice", "--password-stdin", host); !strings.Contains(stderr, "unauthorized") {
		t.Fatalf("login with a wrong password: %q", stderr)
	}
	out, _ := jinnCmd(t, root, []byte("secret\n"), false, "login", "-u", "alice", "--password-stdin", host)
	if !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("login: %q", out)
	}
	b, _ := os.ReadFile(filepath.Join(cfgDir, "config.json"))
	if !strings.Contains(string(b), `"auths"`) || !strings.Contains(string(b), host) {
		t.Fatalf("config.json: %s", b)
	}
	out = jinnOK(t, root, "push", ref)
	if !strings.Contains(out, "digest: sha256:") {
		t.Fatalf("push: %q", out)
	}
	id := strings.TrimSpace(jinnOK(t, root, "images", "-q", "busybox"))

	root2 := t.TempDir()
	out = jinnOK(t, root2, "pull", ref)
	if !strings.Contains(out, "Pull complete") || !strings.HasSuffix(strings.TrimSpace(out), ref) {
		t.Fatalf("pull:\n%s", out)
	}
	if got := strings.TrimSpace(jinnOK(t, root2, "images", "-q")); got != id {
		t.Fatalf("pulled %q, pushed %q", got, id)
	}
	if out := jinnOK(t, root2, "images", "--digests", "--format", "{{.Digest}}"); !strings.HasPrefix(out, "sha256:") {
		t.Fatalf("digest: %q", out)
	}
	// Present layers are not fetched again.
	if out := jinnOK(t, root2, "pull", ref); strings.Contains(out, "Pull complete") || !strings.Contains(out, "Image is up to date") {
		t.Fatalf("re-pull fetched layers:\n%s", out)
	}

	// A layer corrupted in transit: the pull fails and stores nothing.
	corrupt.Store(true)
	root3 := t.TempDir()
	if _, stderr := jinnCmd(t, root3, nil, true, "pull", ref); !strings.Contains(stderr, "checksum") && !strings.Contains(stderr, "digest") {
		t.Fatalf("corrupt pull: %q", stderr)
	}
	if b, s := storeCounts(t, root3); b != 0 || s != 0 {
		t.Fatalf("corrupt pull left %d blobs, %d snapshots", b, s)
	}
	corrupt.Store(false)

	out = jinnOK(t, root, "logout", host)
	if !strings.Contains(out, "Removing login credentials") {
		t.Fatalf("logout: %q", out)
	}
	if _, stderr := jinnCmd(t, t.TempDir(), nil, true, "pull", ref); !strings.Contains(strings.ToLower(stderr), "unauthorized") {
		t.Fatalf("pull after logout: %q", stderr)
	}
	_ = exec.Command
}
