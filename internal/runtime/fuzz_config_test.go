package runtime_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jinn-containers/jinn/internal/ocicli"
	"github.com/jinn-containers/jinn/internal/runtime"
	mobyseccomp "github.com/moby/profiles/seccomp"
)

// FuzzConfig: whatever config.json holds, loading and validating it gives a
// spec or a one-line error, never a panic.
func FuzzConfig(f *testing.F) {
	s := ocicli.DefaultSpec()
	b, _ := json.Marshal(s)
	f.Add(b)
	s.Linux.Seccomp, _ = mobyseccomp.GetDefaultProfile(s)
	b, _ = json.Marshal(s)
	f.Add(b)
	f.Add([]byte(`{"process":{"args":["sh"],"capabilities":{"bounding":["CAP_NOPE"]}},"root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"mount"}]}}`))
	f.Add([]byte(`{"process":{"args":["sh"]},"root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"mount"}],"personality":{"domain":"LINUX32","flags":["x"]},"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":9}]}]}}}`))
	f.Add([]byte(`{"process":{"args":[]},"linux":null}`))
	f.Add([]byte(`[]`))
	bundle := f.TempDir()
	os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755)
	f.Fuzz(func(t *testing.T, config []byte) {
		if err := os.WriteFile(filepath.Join(bundle, "config.json"), config, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := runtime.LoadSpec(bundle)
		if err != nil && (err.Error() == "" || strings.Contains(err.Error(), "\n")) {
			t.Fatalf("error not one clear line: %q", err)
		}
	})
}
