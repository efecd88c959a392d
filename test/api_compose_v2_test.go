package test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// composeV2Version is the docker compose v2 release the tests drive: it
// has no Debian package, so `make compose-v2` builds it from its Go
// module into the test cache (about 4 minutes on 2 cores).
const composeV2Version = "v2.40.3"

// composeV2 returns docker compose v2's binary, built on first use by
// `make compose-v2` into the test cache.
func composeV2(t *testing.T) string {
	t.Helper()
	return cachedTool(t, "compose-v2", "docker-compose-"+composeV2Version)
}

// TestAPIComposeV2: the project of TestAPICompose through docker compose
// v2, with the classic builder (DOCKER_BUILDKIT=0, as every client here).
func TestAPIComposeV2(t *testing.T) {
	bin := composeV2(t)
	a := newAPI(t)
	composeProject(t, a, &composeCLI{a: a, argv: []string{bin, "--ansi", "never", "--progress", "plain"}, sep: "-", more: func(c *composeCLI) {
		// The images' last tag time: with none compose says "292 years ago".
		// The images were just built or tagged: "1 second ago", "5 seconds
		// ago", "About a minute ago", "2 minutes ago".
		if out := c.ok("images"); strings.Contains(out, "years ago") || !(strings.Contains(out, "second ago") ||
			strings.Contains(out, "seconds ago") || strings.Contains(out, "minute ago") || strings.Contains(out, "minutes ago")) {
			t.Fatalf("images:\n%s", out)
		}
		// An attached `up` streams logs and reports a container's exit
		// (from /events); Ctrl-C stops the project.
		cmd := exec.Command(bin, "--ansi", "never", "-p", c.project, "up")
		cmd.Dir, cmd.Env = c.dir, a.clientEnv()
		var out lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		waitFor(t, 30*time.Second, "attached up", func() bool { return strings.Contains(out.String(), "Attaching to") })
		a.dockerOK("docker", "kill", c.name("app", 1))
		waitFor(t, 30*time.Second, "the exit in up's output", func() bool {
			return strings.Contains(out.String(), "app-1 exited with code 137")
		})
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatalf("up did not end on SIGINT:\n%s", out.String())
		}
		if out := c.ok("ps", "-q"); strings.TrimSpace(out) != "" {
			t.Fatalf("running after Ctrl-C of up: %q", out)
		}
		c.ok("up", "-d", "--scale", "app=3")
	}})
}
