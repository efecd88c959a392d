package test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// apiEnv is one test's `jinn system service`: its own store (a jinnEnv),
// its own socket, docker clients pointed at it with their own config.
type apiEnv struct {
	*jinnEnv
	dir  string
	sock string
	svc  *exec.Cmd
	log  *bytes.Buffer
	http *http.Client
}

// The docker CLIs the tests drive: the one first on PATH (28.2, API 1.50)
// and Debian's docker.io (20.10, API 1.41).
const debianDocker = "/usr/bin/docker"

func dockerCLIs(t *testing.T) []string {
	var out []string
	if p, err := exec.LookPath("docker"); err == nil {
		out = append(out, p)
	}
	if _, err := os.Stat(debianDocker); err == nil && (len(out) == 0 || out[0] != debianDocker) {
		out = append(out, debianDocker)
	}
	if len(out) == 0 {
		t.Skip("no docker CLI installed (make deps installs docker.io)")
	}
	return out
}

// newAPI starts a service on a fresh store with busybox loaded.
func newAPI(t *testing.T, extra ...string) *apiEnv {
	t.Helper()
	j := newJinn(t, "")
	j.image()
	a := &apiEnv{jinnEnv: j, dir: t.TempDir()}
	a.sock = filepath.Join(a.dir, "docker.sock")
	a.start(extra...)
	a.http = &http.Client{Transport: &http.Transport{DialContext: nil, Dial: func(string, string) (net.Conn, error) {
		return net.Dial("unix", a.sock)
	}}}
	return a
}

// start runs the service and waits for its socket; the test's cleanup
// stops it (before the store's cleanup removes the containers).
func (a *apiEnv) start(extra ...string) {
	t := a.t
	t.Helper()
	args := append([]string{"system", "service", "--time", "0"}, extra...)
	args = append(args, "unix://"+a.sock)
	a.svc = a.cmd(args...)
	a.log = &bytes.Buffer{}
	a.svc.Stdout, a.svc.Stderr = a.log, a.log
	if err := a.svc.Start(); err != nil {
		t.Fatalf("start the service: %v", err)
	}
	svc := a.svc
	t.Cleanup(func() {
		svc.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { svc.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			svc.Process.Kill()
			<-done
		}
	})
	waitFor(t, 10*time.Second, "the service's socket", func() bool {
		c, err := net.Dial("unix", a.sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// docker runs a docker CLI against the service and returns stdout,
// stderr and the exit code.
func (a *apiEnv) docker(cli string, stdin string, args ...string) (string, string, int) {
	a.t.Helper()
	c := exec.Command(cli, args...)
	c.Env = a.clientEnv()
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if stdin != "" {
		c.Stdin = strings.NewReader(stdin)
	}
	done := make(chan error, 1)
	if err := c.Start(); err != nil {
		a.t.Fatalf("%s %v: %v", cli, args, err)
	}
	go func() { done <- c.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(120 * time.Second):
		c.Process.Kill()
		<-done
		a.t.Fatalf("%s %v: hung\nstdout: %s\nstderr: %s\nservice: %s", cli, args, out.String(), errb.String(), a.log.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		a.t.Fatalf("%s %v: %v", cli, args, err)
	}
	return out.String(), errb.String(), code
}

func (a *apiEnv) clientEnv() []string {
	env := []string{"DOCKER_HOST=unix://" + a.sock, "DOCKER_CONFIG=" + filepath.Join(a.dir, "docker-config"),
		"DOCKER_BUILDKIT=0", "DOCKER_CLI_HINTS=false", "HOME=" + a.dir}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	return env
}

// dockerOK runs a docker command that must succeed and returns stdout.
func (a *apiEnv) dockerOK(cli string, args ...string) string {
	a.t.Helper()
	out, errb, code := a.docker(cli, "", args...)
	if code != 0 {
		a.t.Fatalf("%s %s: exit %d\nstdout: %s\nstderr: %s\nservice: %s", filepath.Base(cli), strings.Join(args, " "), code, out, errb, a.log.String())
	}
	return out
}

// get requests path from the service and returns status and body.
func (a *apiEnv) get(method, path, body string) (int, string, http.Header) {
	a.t.Helper()
	req, _ := http.NewRequest(method, "http://docker"+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), resp.Header
}

// fdCount is the number of open fds of a process.
func fdCount(pid int) int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents)
}
