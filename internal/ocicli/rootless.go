package ocicli

import (
	"os"
	"path/filepath"
)

// defaultRoot is where state goes without --root: /run/jinn-runtime for
// root; for an unprivileged user, $XDG_RUNTIME_DIR/jinn-runtime (as runc
// uses $XDG_RUNTIME_DIR/runc), since /run is not theirs.
func defaultRoot() string {
	if os.Geteuid() != 0 {
		if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
			return filepath.Join(x, "jinn-runtime")
		}
	}
	return "/run/jinn-runtime"
}
