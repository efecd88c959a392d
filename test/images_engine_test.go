package test

import (
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImagesContainerRootfs runs containers from a loaded image: the rootfs
// is the image's layers, a disk quota gives ENOSPC, and rmi refuses an
// image a container uses.
func TestImagesContainerRootfs(t *testing.T) {
	root := t.TempDir()
	unmountUnder(t, root)
	run := filepath.Join(root, "run")
	j := func(wantErr bool, args ...string) (string, string) {
		t.Helper()
		return jinnCmd(t, root, nil, wantErr, append([]string{"--runroot", run}, args...)...)
	}
	j(false, "load", "-q", "-i", imageFixture(t, "busybox"))
	// The exit status is the engine's business (it has a known teardown
	// race); what matters here is that the rootfs is the image's.
	if out := jinnAny(t, root, "--runroot", run, "run", "--rm", "busybox", "cat", "/etc/passwd"); !strings.Contains(out, "root:x:0:0") {
		t.Fatalf("run: %q", out)
	}
	b := make([]byte, 4)
	rand.Read(b)
	name := "images-" + hex.EncodeToString(b)
	j(false, "create", "--name", name, "busybox", "true")
	t.Cleanup(func() { exec.Command(bin("jinn"), "--root", root, "--runroot", run, "rm", "-f", name).Run() })
	if _, stderr := j(true, "rmi", "busybox"); !strings.Contains(stderr, "being used by container") {
		t.Fatalf("rmi of an image in use: %q", stderr)
	}
	out, _ := j(false, "rmi", "-f", "busybox")
	if !strings.Contains(out, "Untagged: busybox:latest") || strings.Contains(out, "Deleted") {
		t.Fatalf("rmi -f of an image in use: %q", out)
	}
	if out, _ := j(false, "images", "-q", "--filter", "dangling=true"); len(strings.Fields(out)) != 1 {
		t.Fatalf("the image in use should stay, dangling: %q", out)
	}
	j(false, "rm", "-f", name)
	j(false, "image", "prune", "-f")
	j(false, "load", "-q", "-i", imageFixture(t, "busybox"))

	out = jinnAny(t, root, "--runroot", run, "run", "--rm", "--storage-opt", "size=20m", "busybox",
		"sh", "-c", "dd if=/dev/zero of=/big bs=1M count=40 && echo wrote-all")
	if strings.Contains(out, "wrote-all") {
		t.Fatalf("wrote 40MB into a 20MB container")
	}
	if out := jinnAny(t, root, "--runroot", run, "run", "--rm", "--storage-opt", "size=20m", "busybox", "sh", "-c", "dd if=/dev/zero of=/big bs=1M count=40 2>&1; true"); !strings.Contains(out, "No space left on device") {
		t.Fatalf("quota: %q", out)
	}
	// Containers that a teardown race left behind go first.
	for _, id := range strings.Fields(jinnAny(t, root, "--runroot", run, "ps", "-aq")) {
		jinnAny(t, root, "--runroot", run, "rm", "-f", id)
	}
	j(false, "rmi", "busybox")
	if b, s := storeCounts(t, root); b != 0 || s != 0 {
		t.Fatalf("after rmi: %d blobs, %d snapshots", b, s)
	}
}

// The nginx and redis fixture images (host binaries and their libraries)
// run their programs.
func TestImagesAppFixturesRun(t *testing.T) {
	root := t.TempDir()
	unmountUnder(t, root)
	run := filepath.Join(root, "run")
	for app, check := range map[string][]string{
		"redis": {"redis-server", "--version"},
		"nginx": {"nginx", "-t"},
	} {
		jinnOK(t, root, "load", "-q", "-i", imageFixture(t, app))
		out := jinnAny(t, root, append([]string{"--runroot", run, "run", "--rm", app}, check...)...)
		if !strings.Contains(out, map[string]string{"redis": "Redis server v=", "nginx": "successful"}[app]) {
			t.Errorf("%s: %q", app, out)
		}
	}
}

// jinn diff, commit and export read the container's snapshot.
func TestImagesDiffCommitExport(t *testing.T) {
	root := t.TempDir()
	unmountUnder(t, root)
	run := filepath.Join(root, "run")
	j := func(args ...string) string {
		t.Helper()
		return jinnOK(t, root, append([]string{"--runroot", run}, args...)...)
	}
	j("load", "-q", "-i", imageFixture(t, "busybox"))
	b := make([]byte, 4)
	rand.Read(b)
	name := "images-" + hex.EncodeToString(b)
	t.Cleanup(func() { exec.Command(bin("jinn"), "--root", root, "--runroot", run, "rm", "-f", name).Run() })
	jinnAny(t, root, "--runroot", run, "run", "--name", name, "busybox", "sh", "-c", "echo hi > /root/new; rm /bin/vi; mkdir /tmp/d")
	if out := j("diff", name); !strings.Contains(out, "A /root/new") || !strings.Contains(out, "D /bin/vi") ||
		!strings.Contains(out, "A /tmp/d") || !strings.Contains(out, "C /root") || strings.Contains(out, "/etc/hostname") {
		t.Fatalf("diff:\n%s", out)
	}
	id := strings.TrimSpace(j("commit", "-m", "msg", "-c", "ENV X=1", name, "committed:1"))
	if !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("commit: %q", id)
	}
	if out := j("image", "inspect", "--format", "{{.Comment}} {{.Config.Env}} {{len .RootFS.Layers}}", "committed:1"); !strings.Contains(out, "msg") || !strings.Contains(out, "X=1") || !strings.Contains(out, " 2") {
		t.Fatalf("committed image: %q", out)
	}
	if out := jinnAny(t, root, "--runroot", run, "run", "--rm", "committed:1", "sh", "-c", "cat /root/new; ls /bin/vi"); !strings.Contains(out, "hi") || !strings.Contains(out, "No such file") {
		t.Fatalf("run committed image: %q", out)
	}
	tarPath := filepath.Join(t.TempDir(), "exp.tar")
	j("export", "-o", tarPath, name)
	out, err := exec.Command("tar", "tf", tarPath).Output()
	if err != nil || !strings.Contains(string(out), "root/new") || strings.Contains(string(out), "bin/vi\n") || !strings.Contains(string(out), "bin/busybox") {
		t.Fatalf("export: %v\n%s", err, out)
	}
}
