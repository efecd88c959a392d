package cli

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCLILinksNoCStage: the jinn binary's only C is its own (cmd/jinn's
// C run of `run --rm`, cliplan.c): nothing it imports may need C, the
// runtime's C stage above all, whose constructor would run at every
// command's start. Nor may it link
// a package whose initialisation every command would pay although jinn
// has its own for the job.
func TestCLILinksNoCStage(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/jinn-containers/jinn/cmd/jinn").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	banned := map[string]string{
		"github.com/jinn-containers/jinn/internal/nsexec":  "the runtime's C stage",
		"github.com/jinn-containers/jinn/internal/runtime": "the runtime's C stage",
		// Its init compiles ten regular expressions: 1.1 ms and 414 KB
		// of every command (it came back once through a new caller).
		"github.com/distribution/reference": "use internal/image/reference",
		// The BPF library and its 31 packages (debug/elf, debug/dwarf,
		// encoding/xml, go/parser...): only the runtime sets cgroup2
		// device rules (internal/cgroups/v2/devfilter).
		"github.com/cilium/ebpf": "only jinn-runtime needs cgroup2 device programs",
		// A progress-bar library whose dependencies' init (stripansi's
		// regexp, go-runewidth's and uniseg's tables) every command paid.
		"github.com/vbauerster/mpb/v8":  "internal/image draws its own bars",
		"github.com/acarl005/stripansi": "a regexp compiled at every start",
		"github.com/mattn/go-runewidth": "tables built at every start",
	}
	for _, p := range strings.Fields(string(out)) {
		if why, ok := banned[p]; ok {
			t.Errorf("cmd/jinn links %s (%s)", p, why)
		}
	}
	cgo, err := exec.Command(goBin, "list", "-deps", "-f", "{{if .CgoFiles}}{{.ImportPath}}{{end}}", "github.com/jinn-containers/jinn/cmd/jinn").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(cgo)) {
		if p != "runtime/cgo" && p != "net" && p != "os/user" && // the standard library's have pure-Go twins
			p != "github.com/jinn-containers/jinn/cmd/jinn" {
			t.Errorf("cmd/jinn links %s, which needs cgo", p)
		}
	}
}
