package test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The images containerd's CRI plugin and critest pull, made from the
// busybox and nginx fixtures and pushed to a loopback registry under the
// paths critest asks for once --registry-prefix replaces their registry
// (cri-tools' images/ Dockerfiles say what each must hold).

// criPause is the sandbox ("pause") image: a shell that reaps children
// (PID namespace shared at pod level) and exits on TERM. Its waiting child
// must not be named sleep, as the real pause has none: critest's "execSync
// with timeout" looks for a leftover `sleep` in the pod's PID namespace.
const criPause = "pause:3.6"

var criPauseCmd = []string{"/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do /bin/busybox sleep 86400 & wait $!; done"}

// criImageFile writes critest's --test-images-file for registry host. The
// names carry no tag: critest pulls them as :latest (with a prefix it keeps
// only the path) and creates containers with the name as written.
func criImageFile(t *testing.T, dir, host string) string {
	p := filepath.Join(dir, "test-images.yaml")
	y := fmt.Sprintf("defaultTestContainerImage: %s/e2e-test-images/busybox\nwebServerTestImage: %s/e2e-test-images/nginx\n", host, host)
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// pushCRIImages builds critest's images and the sandbox image and pushes
// them to the registry at host.
func pushCRIImages(t *testing.T, host string) {
	t.Helper()
	busybox, err := tarball.ImageFromPath(imageFixture(t, "busybox"), nil)
	if err != nil {
		t.Fatalf("read busybox image: %v", err)
	}
	nginx, err := tarball.ImageFromPath(imageFixture(t, "nginx"), nil)
	if err != nil {
		t.Fatalf("read nginx image: %v", err)
	}
	// Debian's /var/run is a link to /run: critest's HostPID spec reads
	// nginx's pid file as /var/run/nginx.pid.
	nginx = appendLayer(t, nginx, symlinkLayer(t, "var/run", "../run"))
	// Users the user-image tests name; the files busybox lacks.
	users := layer(t, map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n" +
			"www-data:x:33:33:www-data:/var/www:/bin/false\ndefault-user:x:1000:1000::/home/default-user:/bin/sh\n" +
			"nobody:x:65534:65534:nobody:/home:/bin/false\n",
		"etc/group": "root:x:0:\ndaemon:x:1:\nwww-data:x:33:\ndefault-user:x:1000:\n" +
			"group-defined-in-image:x:50000:default-user\nnogroup:x:65534:\n",
	})
	base := appendLayer(t, appendLayer(t, busybox, applets(t)), users)
	withUser := func(img v1.Image, user string) v1.Image {
		return configure(t, img, func(c *v1.Config) { c.User = user })
	}
	withFile := func(img v1.Image, file string) v1.Image {
		return appendLayer(t, img, layer(t, map[string]string{file: file + "\n"}))
	}
	pause := configure(t, base, func(c *v1.Config) { c.Cmd = criPauseCmd; c.Entrypoint = nil })
	hostnet := appendLayer(t, nginx, layer(t, map[string]string{"etc/nginx/nginx.conf": `user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log /dev/stderr;
events { worker_connections 256; }
http { access_log /dev/stdout; server { listen 12003; root /usr/share/nginx/html; } }
`}))
	nnp := appendLayer(t, base, fileLayer(t, "usr/local/bin/nnp", buildNonewprivs(t), 0o4755))
	nnp = configure(t, nnp, func(c *v1.Config) { c.Entrypoint, c.Cmd = []string{"/usr/local/bin/nnp"}, nil })
	cri := "k8s-staging-cri-tools/"
	images := map[string]v1.Image{
		criPause:                         pause,
		"pause:3.9":                      base,
		"e2e-test-images/busybox:1.29-2": base,
		"e2e-test-images/nginx:1.14-2":   nginx,
		"e2e-test-images/nonewprivs:1.3": nnp,
		// critest's multi-container spec looks for "httpd" in its log.
		"e2e-test-images/httpd:2.4.39-4": configure(t, nginx, func(c *v1.Config) {
			c.Entrypoint, c.Cmd = nil, []string{"sh", "-c", "echo httpd: nginx standing in; exec nginx -g 'daemon off;'"}
		}),
		cri + "hostnet-nginx-amd64:latest":            hostnet,
		cri + "test-image-user-uid:latest":            withUser(base, "1002"),
		cri + "test-image-user-username:latest":       withUser(base, "www-data"),
		cri + "test-image-user-uid-group:latest":      withUser(base, "1003:1004"),
		cri + "test-image-user-username-group:latest": withUser(base, "www-data:1004"),
		cri + "test-image-predefined-group:latest":    withUser(base, "1000"),
		cri + "test-image-latest:latest":              withFile(base, "test-image-latest"),
		cri + "test-image-tag:test":                   withFile(base, "test-image-tag"),
		cri + "test-image-tag:all":                    withFile(base, "test-image-tag"),
	}
	for i := 1; i <= 3; i++ {
		images[fmt.Sprintf("%stest-image-%d:latest", cri, i)] = withFile(base, fmt.Sprintf("test-image-%d", i))
		images[fmt.Sprintf("%stest-image-tags:%d", cri, i)] = withFile(base, "test-image-tags")
	}
	// critest's --registry-prefix keeps only an image's path: every tag
	// and digest it names is pulled as :latest (framework.PrepareImageName).
	images[cri+"test-image-digest:latest"] = withFile(base, "test-image-digest")
	for ref, img := range images {
		if repo, _, _ := strings.Cut(ref, ":"); images[repo+":latest"] == nil {
			images[repo+":latest"] = img
		}
	}
	for ref, img := range images {
		r, err := name.ParseReference(host+"/"+ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r, img); err != nil {
			t.Fatalf("push %s: %v", r, err)
		}
	}
}

// applets is a layer with the fixture's busybox and every applet of it
// in bin/ as a hard link, as in the busybox image critest expects: its
// MaskedPaths spec masks /bin/ls and then runs sh, and a mask on a
// symlink to busybox would cover busybox itself (runc and jinn both
// follow it), so that sh could no longer start.
func applets(t *testing.T) v1.Layer {
	root := busyboxRootfs()
	bb, err := os.ReadFile(filepath.Join(root, "bin", "busybox"))
	if err != nil {
		t.Fatalf("read busybox: %v", err)
	}
	out, err := exec.Command(filepath.Join(root, "bin", "busybox"), "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bb))})
	tw.Write(bb)
	for _, a := range strings.Fields(string(out)) {
		if a != "busybox" {
			// containerd applies a link's mode to the file it links to.
			tw.WriteHeader(&tar.Header{Name: "bin/" + a, Typeflag: tar.TypeLink, Linkname: "bin/busybox", Mode: 0o755})
		}
	}
	// Debian's busybox-static lacks applets critest runs: stand-ins.
	have := " " + strings.Join(strings.Fields(string(out)), " ") + " "
	for name, script := range map[string]string{
		// execSync with timeout: `pgrep sleep`.
		"pgrep": "#!/bin/sh\nr=1\nfor p in /proc/[0-9]*; do\n\t[ \"$(cat $p/comm 2>/dev/null)\" = \"$1\" ] && echo ${p#/proc/} && r=0\ndone\nexit $r\n",
		// HostIpc: `ipcs -m` lists the segment ids (the kernel's table).
		"ipcs": "#!/bin/sh\ncat /proc/sysvipc/shm\n",
	} {
		if !strings.Contains(have, " "+name+" ") {
			tw.WriteHeader(&tar.Header{Name: "bin/" + name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(script))})
			tw.Write([]byte(script))
		}
	}
	tw.Close()
	return tarLayer(t, buf.Bytes())
}

// layer makes an image layer holding files (path → content, mode 0644).
func layer(t *testing.T, files map[string]string) v1.Layer {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for p, s := range files {
		tw.WriteHeader(&tar.Header{Name: p, Mode: 0o644, Size: int64(len(s)), Typeflag: tar.TypeReg})
		tw.Write([]byte(s))
	}
	tw.Close()
	return tarLayer(t, buf.Bytes())
}

// symlinkLayer makes an image layer holding one symlink.
func symlinkLayer(t *testing.T, path, target string) v1.Layer {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: path, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777})
	tw.Close()
	return tarLayer(t, buf.Bytes())
}

func tarLayer(t *testing.T, b []byte) v1.Layer {
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func appendLayer(t *testing.T, img v1.Image, l v1.Layer) v1.Image {
	out, err := mutate.AppendLayers(img, l)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func configure(t *testing.T, img v1.Image, f func(*v1.Config)) v1.Image {
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := *cf.Config.DeepCopy()
	f(&c)
	out, err := mutate.Config(img, c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// buildNonewprivs builds testdata/nonewprivs (static) and returns it.
func buildNonewprivs(t *testing.T) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "nnp")
	c := exec.Command("go", "build", "-o", out, "./testdata/nonewprivs")
	c.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := c.CombinedOutput(); err != nil {
		t.Fatalf("build nonewprivs: %v: %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fileLayer makes an image layer holding one root-owned file of mode.
func fileLayer(t *testing.T, path string, b []byte, mode int64) v1.Layer {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: path, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(b))})
	tw.Write(b)
	tw.Close()
	return tarLayer(t, buf.Bytes())
}
