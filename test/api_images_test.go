package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jinn-containers/jinn/internal/testutil"
)

// TestAPIBuildPushPull: docker build with the classic builder, login,
// push to a loopback registry, pull into an empty store, save and load.
func TestAPIBuildPushPull(t *testing.T) {
	host := testutil.Registry(t, nil)
	for _, cli := range dockerCLIs(t) {
		a := newAPI(t)
		ctx := t.TempDir()
		os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM busybox AS base\nARG MSG=none\nLABEL app=web\n"+
			"COPY hello.txt /hello.txt\nRUN echo \"$MSG\" > /msg\nCMD [\"cat\", \"/hello.txt\", \"/msg\"]\nFROM base AS other\nRUN false\n"), 0o644)
		os.WriteFile(filepath.Join(ctx, "hello.txt"), []byte("hi\n"), 0o644)
		out := a.dockerOK(cli, "build", "-t", "myapp:1", "--target", "base", "--build-arg", "MSG=built", ctx)
		if !strings.Contains(out, "Successfully tagged myapp:1") {
			t.Fatalf("build: %s", out)
		}
		if out := a.dockerOK(cli, "run", "--rm", "myapp:1"); out != "hi\nbuilt\n" {
			t.Fatalf("run the built image: %q", out)
		}
		if out := a.dockerOK(cli, "image", "inspect", "-f", "{{.Config.Labels.app}}", "myapp:1"); out != "web\n" {
			t.Fatalf("label: %q", out)
		}
		if _, errb, code := a.docker(cli, "", "build", "-t", "bad", ctx); code == 0 || strings.TrimSpace(errb) == "" {
			t.Fatalf("a failing RUN: exit %d %s", code, errb)
		}
		if out := a.dockerOK(cli, "history", "myapp:1"); !strings.Contains(out, "MSG=built") {
			t.Fatalf("history: %s", out)
		}

		ref := host + "/team/myapp:v1"
		a.dockerOK(cli, "tag", "myapp:1", ref)
		if _, errb, code := a.docker(cli, "", "push", ref); code == 0 || !strings.Contains(strings.ToLower(errb), "unauthorized") {
			t.Fatalf("push without login: %d %q", code, errb)
		}
		if _, errb, code := a.docker(cli, "wrong\n", "login", "-u", "alice", "--password-stdin", host); code == 0 || !strings.Contains(errb, "unauthorized") {
			t.Fatalf("login with a wrong password: %d %q", code, errb)
		}
		if out, errb, code := a.docker(cli, "secret\n", "login", "-u", "alice", "--password-stdin", host); code != 0 || !strings.Contains(out, "Login Succeeded") {
			t.Fatalf("login: %d %q %q", code, out, errb)
		}
		if out := a.dockerOK(cli, "push", ref); !strings.Contains(out, "digest: sha256:") {
			t.Fatalf("push: %s", out)
		}
		a.dockerOK(cli, "rmi", ref, "myapp:1")
		if out := a.dockerOK(cli, "pull", ref); !strings.Contains(out, "Downloaded newer image for "+ref) {
			t.Fatalf("pull: %s", out)
		}
		if out := a.dockerOK(cli, "run", "--rm", ref); out != "hi\nbuilt\n" {
			t.Fatalf("run the pulled image: %q", out)
		}
		if out := a.dockerOK(cli, "images", "--digests", "--format", "{{.Repository}} {{.Digest}}", host+"/team/myapp"); !strings.Contains(out, "sha256:") {
			t.Fatalf("images --digests: %q", out)
		}
		tar := filepath.Join(t.TempDir(), "img.tar")
		a.dockerOK(cli, "save", "-o", tar, ref)
		a.dockerOK(cli, "rmi", ref)
		if out := a.dockerOK(cli, "load", "-i", tar); !strings.Contains(out, "Loaded image") {
			t.Fatalf("load: %q", out)
		}
		if out := a.dockerOK(cli, "run", "--rm", ref); out != "hi\nbuilt\n" {
			t.Fatalf("run the loaded image: %q", out)
		}
		if _, errb, code := a.docker(cli, "", "search", "busybox"); code == 0 || !strings.Contains(errb, "no registry search") {
			t.Fatalf("search: %d %q", code, errb)
		}
		a.dockerOK(cli, "image", "prune", "-f")
	}
}
