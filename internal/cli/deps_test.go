package cli

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCLILinksNoCStage: the jinn binary is built without cgo (Makefile):
// nothing it imports may need C, the runtime's C stage above all, which
// would also run its constructor at every command's start.
func TestCLILinksNoCStage(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/jinn-containers/jinn/cmd/jinn").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "github.com/jinn-containers/jinn/internal/nsexec" || p == "github.com/jinn-containers/jinn/internal/runtime" {
			t.Errorf("cmd/jinn links %s", p)
		}
	}
	cgo, err := exec.Command(goBin, "list", "-deps", "-f", "{{if .CgoFiles}}{{.ImportPath}}{{end}}", "github.com/jinn-containers/jinn/cmd/jinn").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(cgo)) {
		if p != "runtime/cgo" && p != "net" && p != "os/user" { // the standard library's have pure-Go twins
			t.Errorf("cmd/jinn links %s, which needs cgo", p)
		}
	}
}
