package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStartDeps keeps out of jinn's binary the packages whose
// initialisation every jinn command would pay at its start, although
// internal/image/reference does their job: github.com/distribution/reference
// compiles ten regular expressions at init (1.1 ms and 414 KB of every
// `jinn run`; it came back once through a new caller).
func TestStartDeps(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool to list the binary's packages: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v: %s", err, out)
	}
	banned := map[string]string{
		"github.com/distribution/reference": "internal/image/reference",
	}
	for _, p := range strings.Fields(string(out)) {
		if use, ok := banned[p]; ok {
			t.Errorf("jinn links %s (its init runs in every command): use %s", p, use)
		}
	}
}
