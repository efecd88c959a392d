package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

func TestRuntimeCLI(t *testing.T) {
	e := newRT(t, nil)
	if out := e.must("--version"); !strings.HasPrefix(out, "jinn-runtime version ") || !strings.Contains(out, "spec: ") {
		t.Errorf("--version: %q", out)
	}
	var f features.Features
	if err := json.Unmarshal([]byte(e.must("features")), &f); err != nil || f.Linux == nil ||
		len(f.Linux.Namespaces) != 8 || len(f.Hooks) != 6 {
		t.Errorf("features: %v %+v", err, f)
	}
	dir := t.TempDir()
	e.must("spec", "--rootless", "--bundle", dir)
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil || len(s.Linux.UIDMappings) != 1 || s.Linux.Resources != nil {
		t.Errorf("spec --rootless: %v %s", err, b)
	}
	// Errors go to --log too, as JSON that engines read.
	log := filepath.Join(t.TempDir(), "log.json")
	e.run("--log", log, "--log-format", "json", "state", "nonexistent")
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), `"msg":"container does not exist"`) {
		t.Errorf("--log json: %q", b)
	}
}
