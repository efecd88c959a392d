package test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestCLIStartInits guards what every jinn command pays before its work:
// the package initialisations of `jinn --version`, as the Go runtime
// traces them (GODEBUG=inittrace=1). Packages that were cut from jinn
// (their init ran at every start for a rare command, or for none) must
// not come back, and the count and allocations of the inits stay within
// a budget: a new dependency that initialises much must be weighed (and
// the budget raised here, with the reason) rather than slip in.
func TestCLIStartInits(t *testing.T) {
	cmd := exec.Command(bin("jinn"), "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("jinn --version: %v\n%s", err, out)
	}
	banned := map[string]string{
		"github.com/cilium/ebpf":            "cgroup2 device programs are the runtime's (internal/cgroups/v2/devfilter)",
		"github.com/cilium/ebpf/btf":        "the runtime's",
		"encoding/xml":                      "linked only through cilium/ebpf",
		"debug/elf":                         "linked only through cilium/ebpf",
		"github.com/vbauerster/mpb/v8":      "internal/image draws its own progress bars",
		"github.com/acarl005/stripansi":     "mpb's: a regexp compiled at every start",
		"github.com/mattn/go-runewidth":     "mpb's: tables built at every start",
		"github.com/distribution/reference": "ten regexps; internal/image/reference scans",
	}
	const maxInits, maxAllocs = 165, 2100 // 157 and 1,922 on 2026-12-07
	inits, allocs := 0, 0
	for _, l := range strings.Split(string(out), "\n") {
		// init PKG @0.12 ms, 0.003 ms clock, 1056 bytes, 6 allocs
		f := strings.Fields(l)
		if len(f) < 10 || f[0] != "init" {
			continue
		}
		inits++
		if why, ok := banned[f[1]]; ok {
			t.Errorf("jinn --version initialises %s again (%s)", f[1], why)
		}
		n, err := strconv.Atoi(f[9])
		if err != nil {
			t.Fatalf("inittrace line %q: %v", l, err)
		}
		allocs += n
	}
	if inits == 0 {
		t.Fatalf("no inittrace in jinn --version's output:\n%s", out)
	}
	if inits > maxInits || allocs > maxAllocs {
		t.Errorf("jinn --version runs %d package inits with %d allocations; the budget is %d and %d", inits, allocs, maxInits, maxAllocs)
	}
	t.Logf("%d package inits, %d allocations", inits, allocs)
}
