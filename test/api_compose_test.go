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

// composeCLI is one docker compose against one service and project.
type composeCLI struct {
	a       *apiEnv
	argv    []string // the command and its global flags before -p
	env     []string // more environment
	sep     string   // between project, service and number in names: "_" (1.x), "-" (v2)
	dir     string
	project string
	// more runs the checks of one version, with the project up and scaled.
	more func(c *composeCLI)
}

// run runs compose with args and returns its output and exit code.
func (c *composeCLI) run(args ...string) (string, int) {
	a := c.a
	a.t.Helper()
	cmd := exec.Command(c.argv[0], append(append(c.argv[1:], "-p", c.project), args...)...)
	cmd.Dir = c.dir
	cmd.Env = append(a.clientEnv(), c.env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(180 * time.Second):
		cmd.Process.Kill()
		<-done
		a.t.Fatalf("compose %v: hung\n%s\nservice: %s", args, out.String(), a.log.String())
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

func (c *composeCLI) ok(args ...string) string {
	c.a.t.Helper()
	out, code := c.run(args...)
	if code != 0 {
		c.a.t.Fatalf("compose %v: exit %d\n%s\nservice: %s", args, code, out, c.a.log.String())
	}
	return out
}

// name is a container's name: project, service and number.
func (c *composeCLI) name(service string, n int) string {
	return fmt.Sprintf("%s%s%s%s%d", c.project, c.sep, service, c.sep, n)
}

// composeProject drives one project through compose c on a fresh service:
// a web server on a published port, redis with a named volume and a
// health check, a service built from a Dockerfile. It goes up (building),
// lists, serves, execs, logs, restarts, scales, and goes down leaving
// nothing.
func composeProject(t *testing.T, a *apiEnv, c *composeCLI) {
	a.ok("load", "-q", "-i", imageFixture(t, "nginx"))
	a.ok("load", "-q", "-i", imageFixture(t, "redis"))
	c.dir = t.TempDir()
	port := freePort(t)
	c.project = "jinnapi" + randHex(3)
	os.MkdirAll(filepath.Join(c.dir, "app"), 0o755)
	os.WriteFile(filepath.Join(c.dir, "app", "Dockerfile"), []byte("FROM busybox\nCMD [\"sh\", \"-c\", \"echo app started; exec sleep 600\"]\n"), 0o644)
	os.WriteFile(filepath.Join(c.dir, "docker-compose.yml"), []byte(fmt.Sprintf(`version: "3.8"
services:
  web:
    image: nginx
    ports:
      - "127.0.0.1:%d:80"
  redis:
    image: redis
    networks:
      default: {}
      back:
        aliases: [cache]
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
networks:
  back: {}
volumes:
  data:
`, port)), 0o644)

	c.ok("up", "-d", "--build")
	out := c.ok("ps")
	for _, s := range []string{c.name("web", 1), c.name("redis", 1), c.name("app", 1)} {
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
		return strings.Contains(c.ok("ps", "redis"), "healthy")
	})
	// redis is on both networks, its alias on the second.
	if out := a.ok("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.Aliases}} {{end}}", c.name("redis", 1)); !strings.Contains(out, c.project+"_default=") || !strings.Contains(out, "cache") {
		t.Fatalf("redis's networks: %q", out)
	}
	if out := c.ok("exec", "-T", "redis", "redis-cli", "set", "k", "kept"); !strings.Contains(out, "OK") {
		t.Fatalf("exec: %q", out)
	}
	if out := c.ok("logs", "app"); !strings.Contains(out, "app started") {
		t.Fatalf("logs: %q", out)
	}
	c.ok("restart", "redis")
	waitFor(t, 30*time.Second, "redis back", func() bool {
		out, _ := c.run("exec", "-T", "redis", "redis-cli", "get", "k")
		return strings.Contains(out, "kept")
	})
	c.ok("up", "-d", "--scale", "app=3")
	out = c.ok("ps", "-q", "app")
	if n := len(strings.Fields(out)); n != 3 {
		t.Fatalf("scale app=3: %d containers\n%s", n, out)
	}
	// Up again, nothing changed: nothing is recreated (compose compares
	// labels, network ids and mounts with what it would create).
	if out := c.ok("up", "-d", "--scale", "app=3"); strings.Contains(out, "Recreat") {
		t.Fatalf("second up recreated containers:\n%s", out)
	}
	if c.more != nil {
		c.more(c)
	}
	// jinn sees compose's containers, by label.
	if out := a.ok("ps", "-q", "--filter", "label=com.docker.compose.project="+c.project); len(strings.Fields(out)) != 5 {
		t.Fatalf("jinn ps: %q", out)
	}
	down := c.ok("down", "-v")
	if out := a.ok("ps", "-aq"); out != "" {
		t.Fatalf("containers left: %q", out)
	}
	if out := a.ok("volume", "ls", "-q"); out != "" {
		t.Fatalf("volumes left: %q", out)
	}
	if out := a.ok("network", "ls"); strings.Contains(out, c.project) {
		insp, _, _ := a.run("network", "inspect", c.project+"_back")
		t.Fatalf("network left: %q\ndown said:\n%s\ninspect:\n%s", out, down, insp)
	}
}

// TestAPICompose: the project through Debian's docker-compose 1.29.
func TestAPICompose(t *testing.T) {
	needDebianPython(t, "compose", "/usr/bin/docker-compose")
	a := newAPI(t)
	composeProject(t, a, &composeCLI{a: a, argv: []string{debianPython, "/usr/bin/docker-compose", "--ansi", "never"}, sep: "_"})
}
