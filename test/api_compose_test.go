package test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Debian's docker-compose 1.29 and python3-docker run with Debian's
// python (the first python3 on PATH may be another).
const debianPython = "/usr/bin/python3"

func needDebianPython(t *testing.T, module, script string) {
	t.Helper()
	if script != "" {
		if _, err := os.Stat(script); err != nil {
			t.Skipf("%s is not installed (make deps installs it)", script)
		}
	}
	if err := exec.Command(debianPython, "-c", "import "+module).Run(); err != nil {
		t.Skipf("%s cannot import %s (make deps installs python3-docker)", debianPython, module)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// compose runs docker-compose 1.29 in dir against the service.
func (a *apiEnv) compose(dir, project string, args ...string) (string, int) {
	a.t.Helper()
	c := exec.Command(debianPython, append([]string{"/usr/bin/docker-compose", "--ansi", "never", "-p", project}, args...)...)
	c.Dir = dir
	c.Env = a.clientEnv()
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	done := make(chan error, 1)
	if err := c.Start(); err != nil {
		a.t.Fatal(err)
	}
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(180 * time.Second):
		c.Process.Kill()
		<-done
		a.t.Fatalf("docker-compose %v: hung\n%s\nservice: %s", args, out.String(), a.log.String())
	}
	return out.String(), c.ProcessState.ExitCode()
}

func (a *apiEnv) composeOK(dir, project string, args ...string) string {
	a.t.Helper()
	out, code := a.compose(dir, project, args...)
	if code != 0 {
		a.t.Fatalf("docker-compose %v: exit %d\n%s\nservice: %s", args, code, out, a.log.String())
	}
	return out
}

// TestAPICompose: a compose 1.29 project (a web server on a published
// port, redis with a named volume and a health check, a service built
// from a Dockerfile) goes up, scales, restarts, execs and goes down
// leaving nothing.
func TestAPICompose(t *testing.T) {
	needDebianPython(t, "compose", "/usr/bin/docker-compose")
	a := newAPI(t)
	a.ok("load", "-q", "-i", imageFixture(t, "nginx"))
	a.ok("load", "-q", "-i", imageFixture(t, "redis"))
	dir := t.TempDir()
	port := freePort(t)
	project := "jinnapi" + randHex(3)
	os.MkdirAll(filepath.Join(dir, "app"), 0o755)
	os.WriteFile(filepath.Join(dir, "app", "Dockerfile"), []byte("FROM busybox\nCMD [\"sh\", \"-c\", \"echo app started; exec sleep 600\"]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(fmt.Sprintf(`version: "3.8"
services:
  web:
    image: nginx
    ports:
      - "127.0.0.1:%d:80"
  redis:
    image: redis
    volumes:
      - data:/data
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 1s
      timeout: 3s
      retries: 20
  app:
    build: ./app
    depends_on:
      - redis
volumes:
  data:
`, port)), 0o644)

	a.composeOK(dir, project, "up", "-d", "--build")
	out := a.composeOK(dir, project, "ps")
	for _, s := range []string{project + "_web_1", project + "_redis_1", project + "_app_1"} {
		if strings.Count(out, s) != 1 {
			t.Fatalf("ps: want %s once:\n%s", s, out)
		}
	}
	waitFor(t, 30*time.Second, "nginx on the published port", func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	waitFor(t, 30*time.Second, "redis healthy", func() bool {
		return strings.Contains(a.composeOK(dir, project, "ps", "redis"), "healthy")
	})
	if out := a.composeOK(dir, project, "exec", "-T", "redis", "redis-cli", "set", "k", "kept"); !strings.Contains(out, "OK") {
		t.Fatalf("exec: %q", out)
	}
	if out := a.composeOK(dir, project, "logs", "app"); !strings.Contains(out, "app started") {
		t.Fatalf("logs: %q", out)
	}
	a.composeOK(dir, project, "restart", "redis")
	waitFor(t, 30*time.Second, "redis back", func() bool {
		out, _ := a.compose(dir, project, "exec", "-T", "redis", "redis-cli", "get", "k")
		return strings.Contains(out, "kept")
	})
	a.composeOK(dir, project, "up", "-d", "--scale", "app=3")
	out = a.composeOK(dir, project, "ps", "-q", "app")
	if n := len(strings.Fields(out)); n != 3 {
		t.Fatalf("scale app=3: %d containers\n%s", n, out)
	}
	// jinn sees compose's containers, by label.
	if out := a.ok("ps", "-q", "--filter", "label=com.docker.compose.project="+project); len(strings.Fields(out)) != 5 {
		t.Fatalf("jinn ps: %q", out)
	}
	a.composeOK(dir, project, "down", "-v")
	if out := a.ok("ps", "-aq"); out != "" {
		t.Fatalf("containers left: %q", out)
	}
	if out := a.ok("volume", "ls", "-q"); out != "" {
		t.Fatalf("volumes left: %q", out)
	}
	if out := a.ok("network", "ls"); strings.Contains(out, project) {
		t.Fatalf("network left: %q", out)
	}
}
