package test

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecurityEngineSwapRace: a container swaps a directory of its own
// with a symlink to a host directory (renameat2 RENAME_EXCHANGE in a
// loop) while the engine walks its files for diff, commit (with and
// without -p) and export. No walk may follow the symlink: the host's
// canary file must never show up.
func TestSecurityEngineSwapRace(t *testing.T) {
	j := newJinn(t, "")
	canaryDir := filepath.Join(t.TempDir(), "host-secret")
	os.MkdirAll(canaryDir, 0o755)
	canary := "canary-" + secID("swap")
	if err := os.WriteFile(filepath.Join(canaryDir, canary), []byte("HOST-SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("mkdir -p /swap/d && echo inside > /swap/d/own && ln -s %s /swap/l && "+
		"while [ ! -e /go ]; do sleep 0.05; done; exec /jinn-attack swap /swap/d /swap/l", canaryDir)
	j.ok(j.runArgs([]string{"-d", "--name", "sw"}, "sh", "-c", script)...)
	j.ok("cp", attackBin(t), "sw:/jinn-attack")
	j.ok("exec", "sw", "touch", "/go")
	waitFor(t, 10*time.Second, "the swap loop", func() bool {
		return strings.Contains(j.ok("logs", "sw"), "swapping")
	})
	leaked := func(what, s string) {
		t.Helper()
		if strings.Contains(s, canary) || strings.Contains(s, "HOST-SECRET") {
			t.Fatalf("%s followed the container's symlink to the host: %s", what, s)
		}
	}
	var images []string
	for i := 0; i < 24; i++ {
		if out, errs, code := j.run("diff", "sw"); code != 0 {
			t.Fatalf("diff: exit %d: %s", code, errs)
		} else {
			leaked("diff", out)
		}
		out, errs, code := j.run("export", "sw")
		if code != 0 {
			t.Fatalf("export: exit %d: %s", code, errs)
		}
		tr := tar.NewReader(strings.NewReader(out))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("export: bad tar: %v", err)
			}
			leaked("export", h.Name)
			if strings.HasPrefix(h.Name, "swap/") {
				b, _ := io.ReadAll(tr)
				leaked("export of "+h.Name, string(b))
			}
		}
		if i%4 == 0 {
			args := []string{"commit"}
			if i%8 == 0 {
				args = append(args, "-p")
			} else {
				args = append(args, "--pause=false")
			}
			img := fmt.Sprintf("swapped:%d", i)
			j.ok(append(args, "sw", img)...)
			images = append(images, img)
		}
	}
	for _, img := range images {
		out := j.ok("run", "--rm", "--entrypoint", "", img, "find", "/", "-xdev", "-name", "canary-*")
		leaked("commit "+img, out)
		out = j.ok("run", "--rm", "--entrypoint", "", img, "sh", "-c", "cat /swap/*/* 2>/dev/null; true")
		leaked("commit "+img, out)
	}
	if s := j.inspect("sw", "{{.State.Status}}"); s != "running" {
		t.Errorf("the swap loop stopped (%s): the race was not run: %s", s, j.ok("logs", "sw"))
	}
	j.ok("rm", "-f", "sw")
	j.ok(append([]string{"rmi"}, images...)...)
	testCpIntoSwapRace(t, j)
}

// testCpIntoSwapRace: cp into a running container sets owner and mode on
// what it made, not through a name the container swaps for a symlink to
// a host file.
func testCpIntoSwapRace(t *testing.T, j *jinnEnv) {
	canary := filepath.Join(t.TempDir(), "host-file")
	if err := os.WriteFile(canary, []byte("HOST"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("touch /tmp/f && ln -s %s /tmp/l && "+
		"while [ ! -e /go ]; do sleep 0.05; done; exec /jinn-attack swap /tmp/f /tmp/l", canary)
	j.ok(j.runArgs([]string{"-d", "--name", "swin"}, "sh", "-c", script)...)
	j.ok("cp", attackBin(t), "swin:/jinn-attack")
	j.ok("exec", "swin", "touch", "/go")
	waitFor(t, 10*time.Second, "the swap loop", func() bool {
		return strings.Contains(j.ok("logs", "swin"), "swapping")
	})
	src := filepath.Join(t.TempDir(), "f")
	os.WriteFile(src, []byte("from cp"), 0o777)
	os.Chmod(src, 0o4777)
	for i := 0; i < 40; i++ {
		j.run("cp", src, "swin:/tmp/f") // may lose the race for the name: fine
		var st syscall.Stat_t
		if err := syscall.Stat(canary, &st); err != nil || st.Mode&0o7777 != 0o600 {
			t.Fatalf("cp into the container changed the host file's mode: %o %v", st.Mode, err)
		}
		if b, _ := os.ReadFile(canary); string(b) != "HOST" {
			t.Fatalf("cp into the container wrote the host file: %q", b)
		}
	}
	if s := j.inspect("swin", "{{.State.Status}}"); s != "running" {
		t.Errorf("the swap loop stopped (%s): %s", s, j.ok("logs", "swin"))
	}
	j.ok("rm", "-f", "swin")
}
