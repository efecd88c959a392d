package test

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// serveFiles serves files on loopback (path -> content type and body) and
// returns its base URL.
func serveFiles(t *testing.T, files map[string][2]string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", f[0])
		w.Write([]byte(f[1]))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

// TestAPIImportRemote: docker import of a file, of stdin and of a URL
// (POST /images/create?fromSrc=) with changes and a message; docker build
// of a remote tarball and of a remote Dockerfile (remote=), the errors of
// a git URL and a missing one; local volumes with driver options.
func TestAPIImportRemote(t *testing.T) {
	rootfs := filepath.Join(t.TempDir(), "rootfs.tar")
	if out, err := exec.Command("tar", "-C", busyboxRootfs(), "-cf", rootfs, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	rootfsTar, _ := os.ReadFile(rootfs)
	base := serveFiles(t, map[string][2]string{
		"/rootfs.tar": {"application/x-tar", string(rootfsTar)},
		"/ctx.tar": {"application/x-tar", string(tarOf(t, map[string]string{
			"Dockerfile": "FROM busybox\nCOPY msg /msg\nCMD [\"cat\", \"/msg\"]\n", "msg": "from a remote context\n"}))},
		"/Dockerfile": {"text/plain; charset=utf-8", "FROM busybox\nCMD [\"echo\", \"from a remote Dockerfile\"]\n"},
	})
	for _, cli := range dockerCLIs(t) {
		a := newAPI(t)
		out := a.dockerOK(cli, "import", "-c", `CMD ["/bin/sh", "-c", "echo imported"]`, "-c", "ENV WHO=jinn", "-m", "from a file", rootfs, "imp:1")
		if !strings.HasPrefix(out, "sha256:") {
			t.Fatalf("import: %q", out)
		}
		if out := a.dockerOK(cli, "run", "--rm", "imp:1"); out != "imported\n" {
			t.Fatalf("run the imported image: %q", out)
		}
		if out := a.dockerOK(cli, "image", "inspect", "-f", "{{.Config.Env}} {{.Comment}}", "imp:1"); !strings.Contains(out, "WHO=jinn") {
			t.Fatalf("inspect: %q", out)
		}
		out, errb, code := a.docker(cli, string(rootfsTar), "import", "-", "imp:2")
		if code != 0 || !strings.HasPrefix(out, "sha256:") {
			t.Fatalf("import -: %d %q %q", code, out, errb)
		}
		if out := a.dockerOK(cli, "run", "--rm", "imp:2", "/bin/echo", "stdin"); out != "stdin\n" {
			t.Fatalf("run imp:2: %q", out)
		}
		a.dockerOK(cli, "import", base+"/rootfs.tar", "imp:3")
		if out := a.dockerOK(cli, "run", "--rm", "imp:3", "/bin/echo", "url"); out != "url\n" {
			t.Fatalf("run imp:3: %q", out)
		}
		if _, errb, code := a.docker(cli, "", "import", "-c", "FROBNICATE x", rootfs, "imp:4"); code == 0 || errb == "" {
			t.Fatalf("import with a bad change: %d %q", code, errb)
		}
		if _, errb, code := a.docker(cli, "", "import", base+"/missing.tar", "imp:5"); code == 0 || !strings.Contains(errb, "404") {
			t.Fatalf("import of a missing URL: %d %q", code, errb)
		}

		out = a.dockerOK(cli, "build", "-t", "rb:1", base+"/ctx.tar")
		if !strings.Contains(out, "Successfully tagged rb:1") {
			t.Fatalf("build of a remote tarball: %s", out)
		}
		if out := a.dockerOK(cli, "run", "--rm", "rb:1"); out != "from a remote context\n" {
			t.Fatalf("run rb:1: %q", out)
		}
		a.dockerOK(cli, "build", "-t", "rb:2", base+"/Dockerfile")
		if out := a.dockerOK(cli, "run", "--rm", "rb:2"); out != "from a remote Dockerfile\n" {
			t.Fatalf("run rb:2: %q", out)
		}
		if _, errb, code := a.docker(cli, "", "build", "-t", "rb:3", base+"/missing.tar"); code == 0 || !strings.Contains(errb, "404") {
			t.Fatalf("build of a missing URL: %d %q", code, errb)
		}
		// The docker CLI clones git contexts itself; other clients send them.
		if code, body, _ := a.get("POST", "/build?remote=https://127.0.0.1:1/repo.git", ""); code != 400 || !strings.Contains(body, "git build contexts are not supported") {
			t.Fatalf("build of a git URL: %d %q", code, body)
		}

		a.dockerOK(cli, "volume", "create", "-d", "local", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=2m", "tv")
		if out := a.dockerOK(cli, "volume", "inspect", "-f", "{{.Options.type}} {{.Options.o}}", "tv"); out != "tmpfs size=2m\n" {
			t.Fatalf("volume inspect: %q", out)
		}
		out = a.dockerOK(cli, "run", "--rm", "-v", "tv:/data", "busybox", "sh", "-c", "grep ' /data ' /proc/mounts; echo x > /data/f; cat /data/f")
		if !strings.Contains(out, "tmpfs /data tmpfs") || !strings.Contains(out, "size=2048k") || !strings.HasSuffix(out, "x\n") {
			t.Fatalf("a tmpfs volume: %q", out)
		}
		if _, errb, code := a.docker(cli, "", "volume", "create", "-o", "bogus=1", "tv2"); code == 0 || !strings.Contains(errb, "invalid option key") {
			t.Fatalf("a bad option: %d %q", code, errb)
		}
		if _, errb, code := a.docker(cli, "", "volume", "create", "-d", "nfs-plugin", "tv3"); code == 0 || !strings.Contains(errb, "plugin") {
			t.Fatalf("another driver: %d %q", code, errb)
		}
		a.dockerOK(cli, "volume", "rm", "tv")
		if out := a.ok("volume", "ls", "-q"); out != "" {
			t.Fatalf("volumes left: %q", out)
		}
	}
}
