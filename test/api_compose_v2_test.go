package test

import (
	"os"
	"path/filepath"
	"testing"
)

// composeV2Version is the docker compose v2 release the tests drive: it
// has no Debian package, so `make compose-v2` builds it from its Go
// module into the test cache (about 4 minutes on 2 cores).
const composeV2Version = "v2.40.3"

// composeV2 returns docker compose v2's binary, or skips the test naming
// it and the make target that builds it.
func composeV2(t *testing.T) string {
	t.Helper()
	p := filepath.Join(criCacheDir(), "bin", "docker-compose-"+composeV2Version)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("docker compose %s is not built (%s): make compose-v2 builds it", composeV2Version, p)
	}
	return p
}

// TestAPIComposeV2: the project of TestAPICompose through docker compose
// v2, with the classic builder (DOCKER_BUILDKIT=0, as every client here).
func TestAPIComposeV2(t *testing.T) {
	bin := composeV2(t)
	a := newAPI(t)
	composeProject(t, a, &composeCLI{a: a, argv: []string{bin, "--ansi", "never", "--progress", "plain"}, sep: "-"})
}
