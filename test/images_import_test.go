package test

import (
	"archive/tar"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func tarOf(t *testing.T, entries map[string]string) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for n, body := range entries {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	return b.Bytes()
}

func TestImagesImportPrune(t *testing.T) {
	root := t.TempDir()
	// A gzipped rootfs from stdin, with --change.
	raw, err := exec.Command("tar", "-C", busyboxRootfs(), "-czf", "-", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jinnCmd(t, root, raw, false, "import",
		"-c", `CMD ["/bin/sh","-c","echo hi"]`, "-c", "ENV FOO=bar", "-c", "WORKDIR /tmp",
		"-c", "EXPOSE 8080", "-c", "USER nobody", "-c", "ENTRYPOINT [\"/bin/env\"]", "-m", "from test", "-", "imported:1")
	if !strings.HasPrefix(out, "sha256:") {
		t.Fatalf("import output %q", out)
	}
	got := jinnOK(t, root, "image", "inspect", "--format",
		"{{.Config.Cmd}}|{{.Config.Env}}|{{.Config.WorkingDir}}|{{.Config.User}}|{{.Config.Entrypoint}}|{{.Config.ExposedPorts}}|{{.Comment}}", "imported:1")
	want := "[/bin/sh -c echo hi]|[FOO=bar]|/tmp|nobody|[/bin/env]|map[8080/tcp:map[]]|from test"
	if strings.TrimSpace(got) != want {
		t.Fatalf("inspect:\n got %s\nwant %s", got, want)
	}

	// Unsafe tarballs: a clear error and nothing left behind.
	before, beforeSnaps := storeCounts(t, root)
	for name, tb := range map[string][]byte{
		"dotdot":    tarOf(t, map[string]string{"../../etc/evil": "x"}),
		"absolute":  tarOf(t, map[string]string{"/etc/evil": "x"}),
		"truncated": tarOf(t, map[string]string{"big": strings.Repeat("x", 20000)})[:10000],
	} {
		_, stderr := jinnCmd(t, root, tb, true, "import", "-", "bad:"+name)
		if !strings.Contains(stderr, "unsafe") && !strings.Contains(stderr, "truncated") {
			t.Errorf("%s: error %q", name, stderr)
		}
		if b, s := storeCounts(t, root); b != before || s != beforeSnaps {
			t.Errorf("%s: left %d blobs, %d snapshots (had %d, %d)", name, b, s, before, beforeSnaps)
		}
	}
	if _, stderr := jinnCmd(t, root, nil, true, "import", "-c", "RUN rm -rf /", "-", "x"); !strings.Contains(stderr, "not supported") {
		t.Fatalf("RUN change: %q", stderr)
	}

	// A dangling image goes with image prune; tagged ones stay unless -a.
	jinnCmd(t, root, tarOf(t, map[string]string{"f": "1"}), false, "import", "-")
	if out := jinnOK(t, root, "images", "--filter", "dangling=true", "-q"); len(strings.Fields(out)) != 1 {
		t.Fatalf("dangling: %q", out)
	}
	out = jinnOK(t, root, "image", "prune", "-f")
	if !strings.Contains(out, "deleted: sha256:") || !strings.Contains(out, "Total reclaimed space") {
		t.Fatalf("prune: %q", out)
	}
	if out := jinnOK(t, root, "images", "-q"); len(strings.Fields(out)) != 1 {
		t.Fatalf("after prune: %q", out)
	}
	jinnOK(t, root, "image", "prune", "-a", "-f")
	if b, s := storeCounts(t, root); b != 0 || s != 0 {
		t.Fatalf("after prune -a: %d blobs, %d snapshots", b, s)
	}
	if out := jinnOK(t, root, "system", "df"); !strings.Contains(out, "Images          0") {
		t.Fatalf("system df:\n%s", out)
	}
}
