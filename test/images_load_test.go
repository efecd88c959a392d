package test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestImagesLoadListInspectSave(t *testing.T) {
	root := t.TempDir()
	out := jinnOK(t, root, "load", "-i", imageFixture(t, "busybox"))
	if strings.TrimSpace(out) != "Loaded image: busybox:latest" {
		t.Fatalf("load output %q", out)
	}
	jinnOK(t, root, "tag", "busybox", "example.com/team/bb:v1")
	out = jinnOK(t, root, "images")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "REPOSITORY") || !strings.Contains(out, "example.com/team/bb") {
		t.Fatalf("images:\n%s", out)
	}
	id := strings.TrimSpace(jinnOK(t, root, "images", "-q", "busybox"))
	if len(id) != 12 {
		t.Fatalf("images -q: %q", id)
	}
	for _, ref := range []string{"busybox", "busybox:latest", "docker.io/library/busybox", id, "sha256:" + id[:8]} {
		out := jinnOK(t, root, "image", "inspect", "--format", "{{.Id}}", ref)
		if !strings.HasPrefix(strings.TrimSpace(out), "sha256:"+id) {
			t.Errorf("inspect %s: %q", ref, out)
		}
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(jinnOK(t, root, "image", "inspect", "busybox")), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("inspect json: %v", err)
	}
	if cfg := docs[0]["Config"].(map[string]any); cfg["Cmd"].([]any)[0] != "sh" {
		t.Fatalf("inspect config: %v", cfg)
	}
	if _, stderr := jinnCmd(t, root, nil, true, "image", "inspect", "nosuch"); !strings.Contains(stderr, "No such image") {
		t.Fatalf("missing image: %q", stderr)
	}
	out = jinnOK(t, root, "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=example.com/*/*")
	if strings.TrimSpace(out) != "example.com/team/bb:v1" {
		t.Fatalf("filter reference: %q", out)
	}
	if out := jinnOK(t, root, "history", "busybox"); !strings.Contains(out, "mkimage.sh") {
		t.Fatalf("history:\n%s", out)
	}

	// save / load round trip in both formats into fresh roots.
	for _, format := range []string{"docker-archive", "oci-archive"} {
		tarPath := filepath.Join(t.TempDir(), "img.tar")
		jinnOK(t, root, "save", "--format", format, "-o", tarPath, "example.com/team/bb:v1")
		root2 := t.TempDir()
		out := jinnOK(t, root2, "load", "-i", tarPath)
		if !strings.Contains(out, "example.com/team/bb:v1") {
			t.Fatalf("%s reload: %q", format, out)
		}
		if got := strings.TrimSpace(jinnOK(t, root2, "images", "-q")); got != id {
			t.Fatalf("%s reload: id %q want %q", format, got, id)
		}
	}

	// rmi: a tag goes, then the image and all its blobs and layers.
	jinnOK(t, root, "rmi", "example.com/team/bb:v1")
	out = jinnOK(t, root, "rmi", "busybox")
	if !strings.Contains(out, "Untagged: busybox:latest") || !strings.Contains(out, "Deleted: sha256:"+id) {
		t.Fatalf("rmi: %q", out)
	}
	if b, s := storeCounts(t, root); b != 0 || s != 0 {
		t.Fatalf("after rmi: %d blobs, %d snapshots", b, s)
	}
	jinnCmd(t, root, nil, true, "rmi", "busybox")
}

// podman (and skopeo) from Debian read jinn's archives and jinn reads theirs.
func TestImagesPodmanInterop(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman not installed")
	}
	root, pod := t.TempDir(), podmanDir(t)
	podman := func(args ...string) string {
		t.Helper()
		full := append([]string{"--root", pod + "/s", "--runroot", pod + "/r", "--storage-driver", "vfs",
			"--cgroup-manager", "cgroupfs", "--events-backend", "none"}, args...)
		b, err := exec.Command("podman", full...).CombinedOutput()
		if err != nil {
			t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	t.Cleanup(func() {
		exec.Command("podman", "--root", pod+"/s", "--runroot", pod+"/r", "--storage-driver", "vfs", "system", "reset", "-f").Run()
	})
	jinnOK(t, root, "load", "-i", imageFixture(t, "busybox"))
	id := strings.TrimSpace(jinnOK(t, root, "images", "-q"))
	dir := t.TempDir()
	for _, format := range []string{"docker-archive", "oci-archive"} {
		p := filepath.Join(dir, "jinn-"+format+".tar")
		jinnOK(t, root, "save", "--format", format, "-o", p, "busybox")
		podman("load", "-i", p)
		if out := podman("images", "-q", "--no-trunc"); !strings.Contains(out, id) {
			t.Fatalf("podman load of jinn's %s: %s", format, out)
		}
		podman("tag", id, "docker.io/library/busybox:latest")
		pp := filepath.Join(dir, "podman-"+format+".tar")
		podman("save", "--format", format, "-o", pp, "docker.io/library/busybox:latest")
		root2 := t.TempDir()
		if out := jinnOK(t, root2, "load", "-i", pp); !strings.Contains(out, "busybox") {
			t.Fatalf("jinn load of podman's %s: %q", format, out)
		}
		if got := strings.TrimSpace(jinnOK(t, root2, "images", "-q")); got != id {
			t.Fatalf("jinn load of podman's %s: id %q want %q", format, got, id)
		}
	}
	if _, err := exec.LookPath("skopeo"); err == nil {
		p := filepath.Join(dir, "sk.tar")
		if b, err := exec.Command("skopeo", "copy", "docker-archive:"+filepath.Join(dir, "jinn-docker-archive.tar"),
			"oci-archive:"+p+":example.com/sk:1").CombinedOutput(); err != nil {
			t.Fatalf("skopeo: %v\n%s", err, b)
		}
		if out := jinnOK(t, t.TempDir(), "load", "-i", p); !strings.Contains(out, "example.com/sk:1") {
			t.Fatalf("jinn load of skopeo's oci-archive: %q", out)
		}
	}
	os.RemoveAll(dir)
}
