package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/jinn-containers/jinn/internal/recipe"
)

// runtimeFor is the driver of the container's OCI runtime.
func (e *Local) runtimeFor(c *Container) *recipe.Runtime {
	return &recipe.Runtime{Path: c.Runtime, Root: e.runtimeRoot(c.Runtime),
		SeccompCache: filepath.Join(e.cfg.RunRoot, "seccomp.cache")}
}

// resolveRuntime finds a runtime binary: a path, jinn-runtime next to the
// jinn binary, or a name in PATH.
func (e *Local) resolveRuntime(name string) (string, error) {
	if name == "" {
		name = e.cfg.Runtime
	}
	if name == "" {
		name = "jinn-runtime"
	}
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", exitErr(ExitEngine, "runtime %s: %v", name, err)
		}
		return filepath.Abs(name)
	}
	if e.cfg.Self != "" {
		p := filepath.Join(filepath.Dir(e.cfg.Self), name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", exitErr(ExitEngine, "unknown or invalid runtime name: %s", name)
	}
	return filepath.Abs(p)
}
