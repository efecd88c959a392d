// Package test holds the end-to-end tests: they run the real binaries as
// root on the real kernel, with real images, cgroups, mounts and veths.
//
// The suite is hermetic (suite_test.go): one run uses a parent cgroup, a
// temporary directory and store paths of its own, asserts only on what it
// made, and at its end fails if anything of its own is left on the host.
package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	binDir      string // where jinn and jinn-runtime are
	fixturesDir string // where hack/ puts the fixture root filesystems
)

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		// Passing without running anything would hide that nothing ran.
		fmt.Fprintln(os.Stderr, "test: the end-to-end tests need root (run `make test` as root)")
		os.Exit(1)
	}
	binDir = os.Getenv("JINN_BIN")
	if binDir == "" {
		binDir, _ = filepath.Abs("../bin")
	}
	fixturesDir = os.Getenv("JINN_FIXTURES")
	if fixturesDir == "" {
		fixturesDir = "/var/lib/jinn-fixtures"
	}
	if _, err := os.Stat(filepath.Join(fixturesDir, "busybox", "bin", "busybox")); err != nil {
		if out, err := exec.Command("../hack/mkrootfs-busybox.sh", filepath.Join(fixturesDir, "busybox")).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "test: make busybox fixture: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	// The CLI's run plans (internal/cliplan) of the suite's stores go
	// into a directory of the suite's own.
	plans, err := os.MkdirTemp("", "jinn-cli-plans-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test:", err)
		os.Exit(1)
	}
	os.Setenv("JINN_CLI_PLAN_DIR", plans)
	code := runSuite(m)
	os.RemoveAll(plans)
	os.Exit(code)
}

// bin returns the path of one of jinn's binaries.
func bin(name string) string { return filepath.Join(binDir, name) }

// busyboxRootfs returns the busybox fixture's root filesystem. Tests that
// write to a rootfs must copy it first (copyRootfs).
func busyboxRootfs() string { return filepath.Join(fixturesDir, "busybox") }

// copyRootfs copies the busybox fixture into a fresh temporary directory.
func copyRootfs(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command("cp", "-a", busyboxRootfs(), dst).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v: %s", err, out)
	}
	return dst
}
