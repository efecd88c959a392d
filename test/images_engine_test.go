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
	run := filepath.Join(root, "run")
	j := func(wantErr bool, args ...string) (string, string) {
		t.Helper()
		return jinnCmd(t, root, nil, wantErr, append([]string{"--runroot", run}, args...)...)
	}
	j(false, "load", "-q", "-i", imageFixture(t, "busybox"))
	if out, _ := j(false, "run", "--rm", "busybox", "cat", "/etc/passwd"); !strings.Contains(out, "root:x:0:0") {
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

	out, _ = j(true, "run", "--rm", "--storage-opt", "size=20m", "busybox",
		"sh", "-c", "dd if=/dev/zero of=/big bs=1M count=40 && echo wrote-all")
	if strings.Contains(out, "wrote-all") {
		t.Fatalf("wrote 40MB into a 20MB container")
	}
	if out, _ := j(false, "run", "--rm", "--storage-opt", "size=20m", "busybox", "sh", "-c", "dd if=/dev/zero of=/big bs=1M count=40 2>&1; true"); !strings.Contains(out, "No space left on device") {
		t.Fatalf("quota: %q", out)
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
	run := filepath.Join(root, "run")
	for app, check := range map[string][]string{
		"redis": {"redis-server", "--version"},
		"nginx": {"nginx", "-t"},
	} {
		jinnOK(t, root, "load", "-q", "-i", imageFixture(t, app))
		out, stderr := jinnCmd(t, root, nil, false, append([]string{"--runroot", run, "run", "--rm", app}, check...)...)
		if !strings.Contains(out+stderr, map[string]string{"redis": "Redis server v=", "nginx": "successful"}[app]) {
			t.Errorf("%s: %q %q", app, out, stderr)
		}
	}
}
