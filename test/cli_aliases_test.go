package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jinn-containers/jinn/internal/testutil"
)

// TestCLIContainerAliases: docker's `container commit|diff|export|update`
// and `builder build` run the same commands as their short forms.
func TestCLIContainerAliases(t *testing.T) {
	j := newJinn(t, "")
	j.ok(j.runArgs([]string{"--name", "al"}, "sh", "-c", "echo x > /made")...)
	if out := j.ok("container", "diff", "al"); !strings.Contains(out, "A /made") {
		t.Errorf("container diff:\n%s", out)
	}
	tarPath := filepath.Join(t.TempDir(), "al.tar")
	j.ok("container", "export", "-o", tarPath, "al")
	if fi, err := os.Stat(tarPath); err != nil || fi.Size() < 1000 {
		t.Errorf("container export: %v %v", fi, err)
	}
	if id := strings.TrimSpace(j.ok("container", "commit", "al", "al:committed")); !strings.HasPrefix(id, "sha256:") {
		t.Errorf("container commit printed %q", id)
	}
	if out := j.ok("run", "--rm", "al:committed", "cat", "/made"); out != "x\n" {
		t.Errorf("committed image: %q", out)
	}
	if out := j.ok("container", "update", "--restart", "always", "al"); out != "al\n" {
		t.Errorf("container update: %q", out)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN echo built > /b\n"), 0o644)
	j.ok("builder", "build", "-q", "-t", "viabuilder", dir)
	if out := j.ok("run", "--rm", "viabuilder", "cat", "/b"); out != "built\n" {
		t.Errorf("builder build: %q", out)
	}
	if out, _ := j.runStdin("n\n", "builder", "prune"); !strings.Contains(out, "[y/N]") || strings.Contains(out, "Deleted") {
		t.Errorf("builder prune without -f:\n%s", out)
	}
}

// TestCLIContext: the one local context, as docker's context commands
// show it.
func TestCLIContext(t *testing.T) {
	j := newJinn(t, "")
	if out := j.ok("context", "show"); out != "default\n" {
		t.Errorf("context show: %q", out)
	}
	out := j.ok("context", "ls")
	if !strings.HasPrefix(out, "NAME ") || !strings.Contains(out, "\ndefault *") || !strings.Contains(out, "DOCKER ENDPOINT") {
		t.Errorf("context ls:\n%s", out)
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(j.ok("context", "ls", "--format", "json")), &row); err != nil || row["Name"] != "default" || row["Current"] != true {
		t.Errorf("context ls --format json: %v %v", row, err)
	}
	if out := j.ok("context", "ls", "-q"); out != "default\n" {
		t.Errorf("context ls -q: %q", out)
	}
	if out, errs, code := j.run("context", "use", "default"); code != 0 || out != "default\n" || !strings.Contains(errs, `Current context is now "default"`) {
		t.Errorf("context use default: %d %q %q", code, out, errs)
	}
	if _, errs, code := j.run("context", "use", "remote"); code != 1 || !strings.Contains(errs, `context "remote" does not exist`) {
		t.Errorf("context use remote: %d %q", code, errs)
	}
	if got := strings.TrimSpace(j.ok("context", "inspect", "-f", "{{.Name}}")); got != "default" {
		t.Errorf("context inspect: %q", got)
	}
}

// TestCLIManifestSearch: manifest inspect reads a registry's manifest
// (a loopback one here); search lists its repositories; both fail with a
// clear error when no registry answers.
func TestCLIManifestSearch(t *testing.T) {
	host := testutil.OpenRegistry(t)
	j := newJinn(t, "")
	j.image()
	ref := host + "/lib/busybox:1"
	j.ok("tag", "busybox", ref)
	j.ok("push", ref)
	var m map[string]any
	out := j.ok("manifest", "inspect", ref)
	if err := json.Unmarshal([]byte(out), &m); err != nil || m["schemaVersion"] != 2.0 || m["layers"] == nil {
		t.Errorf("manifest inspect: %v\n%s", err, out)
	}
	if !strings.Contains(out, "\n\t\"schemaVersion\": 2") {
		t.Errorf("manifest inspect is not docker's tab-indented JSON:\n%s", out)
	}
	out = j.ok("manifest", "inspect", "-v", ref)
	if err := json.Unmarshal([]byte(out), &m); err != nil || m["Ref"] != ref || m["Descriptor"] == nil {
		t.Errorf("manifest inspect -v: %v\n%s", err, out)
	}
	if _, errs, code := j.run("manifest", "inspect", host+"/lib/nothere:1"); code != 1 || errs == "" {
		t.Errorf("manifest inspect of a missing image: exit %d %q", code, errs)
	}
	if _, errs, code := j.run("manifest", "inspect", "127.0.0.1:1/lib/busybox:1"); code != 1 || !strings.Contains(errs, "connection refused") {
		t.Errorf("manifest inspect without a registry: exit %d %q", code, errs)
	}
	out = j.ok("search", host+"/busy")
	if !strings.HasPrefix(out, "NAME ") || !strings.Contains(out, host+"/lib/busybox") {
		t.Errorf("search:\n%s", out)
	}
	if got := strings.TrimSpace(j.ok("search", "--format", "{{.Name}}", "--limit", "1", host+"/lib")); got != host+"/lib/busybox" {
		t.Errorf("search --format --limit: %q", got)
	}
	if _, errs, code := j.run("search", "127.0.0.1:1/busybox"); code != 1 || !strings.Contains(errs, "cannot reach the registry") {
		t.Errorf("search without a registry: exit %d %q", code, errs)
	}
	if _, _, code := j.run("search", "--limit", "0", host+"/x"); code != 125 {
		t.Errorf("search --limit 0: exit %d", code)
	}
}

// TestCLIHelp: --help reads as docker's: the use line, "Options:" and
// docker's type names, in docker's (alphabetical) order.
func TestCLIHelp(t *testing.T) {
	j := newJinn(t, "")
	out := j.ok("run", "--help")
	for _, want := range []string{"Usage:\n  jinn run [OPTIONS] IMAGE [COMMAND] [ARG...]\n", "\nOptions:\n", "      --add-host list ", "  -a, --attach list ",
		"      --sysctl map ", "  -m, --memory bytes ", "      --cpus decimal ", "      --pull string ", "  -q, --quiet ", "      --cidfile string "} {
		if !strings.Contains(out, want) {
			t.Errorf("run --help lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "[flags]") || strings.Contains(out, "stringArray") {
		t.Errorf("run --help has cobra's words:\n%s", out)
	}
	if i, k := strings.Index(out, "--add-host"), strings.Index(out, "--volumes-from"); i < 0 || k < i {
		t.Errorf("run --help is not in order")
	}
	for _, c := range [][]string{{"ps"}, {"update"}, {"stop"}, {"exec"}, {"cp"}, {"volume", "create"}, {"network", "create"},
		{"network", "ls"}, {"system", "prune"}, {"context", "ls"}, {"manifest", "inspect"}, {"search"}} {
		if out := j.ok(append(c, "--help")...); !strings.Contains(out, "\nOptions:\n") {
			t.Errorf("%v --help:\n%s", c, out)
		}
	}
}
