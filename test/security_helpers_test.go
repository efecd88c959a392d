package test

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var (
	attackOnce sync.Once
	attackPath string
	attackErr  error
)

// attackBin builds testdata/jinn-attack once per test run: the program
// that runs the escapes for real inside the containers.
func attackBin(t *testing.T) string {
	t.Helper()
	attackOnce.Do(func() {
		// One fixed place, rebuilt each run (go's cache makes it quick), so
		// runs leave no trail of temporary directories.
		dir := filepath.Join(os.TempDir(), "jinn-security-attack")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			attackErr = err
			return
		}
		attackPath = filepath.Join(dir, "jinn-attack")
		c := exec.Command("go", "build", "-o", attackPath, "./testdata/jinn-attack")
		c.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := c.CombinedOutput(); err != nil {
			attackErr = err
			t.Logf("%s", out)
		}
	})
	if attackErr != nil {
		t.Fatalf("build jinn-attack: %v", attackErr)
	}
	return attackPath
}

// newSec is a runtime environment whose rootfs holds /bin/jinn-attack.
func newSec(t *testing.T, mutate func(*specs.Spec)) *rtEnv {
	t.Helper()
	a := attackBin(t)
	e := newRT(t, mutate)
	if out, err := exec.Command("cp", a, filepath.Join(e.rootfs, "bin", "jinn-attack")).CombinedOutput(); err != nil {
		t.Fatalf("copy jinn-attack: %v %s", err, out)
	}
	return e
}

func secID(what string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return "security-" + what + "-" + hex.EncodeToString(b)
}

// capSets parses the Cap* lines of a /proc/PID/status.
func capSets(out string) map[string]uint64 {
	m := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.HasPrefix(k, "Cap") {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err == nil {
				m[k] = n
			}
		}
	}
	return m
}

// copyFile copies src to dst, making dst's directory, keeping the mode.
func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, fi.Mode().Perm())
}
