package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestCRITest runs Kubernetes' CRI validation suite (critest) through
// containerd once per handler: runc, jinn (jinn-runtime under the runc
// shim) and jinn-shim (containerd-shim-jinn-v2), and fails on every spec
// that passes with runc but not with a jinn handler. `make test` runs
// the runtime's share of the suite (criFocus, about two minutes);
// JINN_CRITEST_FULL=1 runs all 142 specs (about 6 minutes on 2 cores).
// JINN_CRITEST_FOCUS=REGEXP runs the specs it matches instead;
// JINN_CRITEST_HANDLERS=jinn-shim runs runc and the handlers listed only.
// JINN_CRITEST_REPORT=FILE writes the side-by-side table, with why each
// spec that does not pass does not (docs/kubernetes.md holds the last one).
// criFocus picks the specs that exercise the OCI runtime most in the least
// time: pod and container lifecycles, exec (execSync with a timeout: the
// shim kills the exec's pid) and attach, the pod's shared namespaces, OOM;
// not the image service (the runtime plays no part) nor port mapping nor
// stats.
const criFocus = `PodSandbox runtime should support basic operations|` +
	`Container runtime should support basic operations|` +
	`Streaming runtime should support streaming interfaces runtime should support (exec|attach)|` +
	`Multiple Containers|Container OOM|` +
	`Security Context NamespaceOption runtime should support (HostPID|PodPID|ContainerPID|HostIpc)`

func TestCRITest(t *testing.T) {
	e := startCRI(t)
	critest := criTool(t, "critest")
	images := criImageFile(t, e.dir, e.registry)
	full := os.Getenv("JINN_CRITEST_FULL") == "1"

	// A few specs create containers from the image's name as written in
	// critest, not the prefixed one they pulled: give those names to the
	// pulled images in containerd's store.
	for raw, pulled := range map[string]string{
		"registry.k8s.io/e2e-test-images/nginx:1.14-2":            "/e2e-test-images/nginx:latest",
		"registry.k8s.io/e2e-test-images/httpd:2.4.39-4":          "/e2e-test-images/httpd:latest",
		"registry.k8s.io/e2e-test-images/nonewprivs:1.3":          "/e2e-test-images/nonewprivs:latest",
		"gcr.io/k8s-staging-cri-tools/hostnet-nginx-amd64:latest": "/k8s-staging-cri-tools/hostnet-nginx-amd64:latest",
	} {
		e.crictlOK("pull", e.registry+pulled)
		if out, err := exec.Command("ctr", "--address", e.sock, "-n", "k8s.io", "images", "tag", "--force", e.registry+pulled, raw).CombinedOutput(); err != nil {
			t.Fatalf("ctr images tag %s: %v: %s", raw, err, out)
		}
	}
	results := map[string]map[string]string{} // handler → spec → state
	var specs []string
	jinnLog := map[string][]byte{}
	handlers := []string{"runc", "jinn", "jinn-shim"}
	if h := os.Getenv("JINN_CRITEST_HANDLERS"); h != "" {
		handlers = append([]string{"runc"}, strings.Split(h, ",")...)
	}
	for _, handler := range handlers {
		report := filepath.Join(e.dir, "critest-"+handler+".json")
		args := []string{
			"-runtime-endpoint", "unix://" + e.sock, "-image-endpoint", "unix://" + e.sock,
			"-runtime-handler", handler, "-registry-prefix", e.registry, "-test-images-file", images,
			"-ginkgo.json-report", report, "-ginkgo.no-color", "-ginkgo.timeout", "40m",
			"-ginkgo.randomize-all=false", "-ginkgo.seed", "1",
		}
		if !full {
			focus := criFocus
			if f := os.Getenv("JINN_CRITEST_FOCUS"); f != "" {
				focus = f
			}
			args = append(args, "-ginkgo.focus", focus, "-ginkgo.skip", "stats|benchmark")
		}
		start := time.Now()
		logPath := filepath.Join(e.dir, "critest-"+handler+".log")
		if p := os.Getenv("JINN_CRITEST_REPORT"); p != "" {
			logPath = p + "." + handler + ".log"
		}
		logf, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		c := exec.Command(critest, args...)
		c.Dir, c.Stdout, c.Stderr = e.dir, logf, logf
		c.Run()
		logf.Close()
		out, _ := os.ReadFile(logPath)
		res, err := readGinkgoReport(report)
		if err != nil {
			t.Fatalf("critest %s: %v\n%s", handler, err, lastLines(string(out), 30))
		}
		results[handler] = res
		if handler != "runc" {
			jinnLog[handler] = out
		}
		n := map[string]int{}
		for s, st := range res {
			state, _, _ := strings.Cut(st, ":")
			n[state]++
			if handler == "runc" {
				specs = append(specs, s)
			}
		}
		t.Logf("critest --runtime-handler=%s: %d passed, %d failed, %d skipped in %s",
			handler, n["passed"], n["failed"], n["skipped"], time.Since(start).Round(time.Second))
	}
	sort.Strings(specs)
	var table strings.Builder
	fmt.Fprintf(&table, "| spec | runc | jinn | jinn-shim | why not passed |\n|---|---|---|---|---|\n")
	failed := map[string]bool{}
	for _, s := range specs {
		r, j, js := results["runc"][s], results["jinn"][s], results["jinn-shim"][s]
		table.WriteString(criTableRow(s, r, j, js))
		for _, h := range handlers[1:] {
			if got := results[h][s]; r == "passed" && got != "passed" {
				t.Errorf("passes with runc, %s with %s: %s", got, h, s)
				failed[h] = true
			}
		}
	}
	if p := os.Getenv("JINN_CRITEST_REPORT"); p != "" {
		os.WriteFile(p, []byte(table.String()), 0o644)
	}
	for h := range failed {
		t.Logf("critest %s (tail):\n%s", h, lastLines(string(jinnLog[h]), 60))
	}
}

// readGinkgoReport reads a ginkgo --json-report as spec text → state
// (passed, failed, skipped...); for failures and skips the message's first
// line follows the state.
func readGinkgoReport(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var suites []struct {
		SpecReports []struct {
			ContainerHierarchyTexts []string
			LeafNodeText            string
			LeafNodeType            string
			State                   string
			Failure                 struct{ Message string }
		}
	}
	if err := json.Unmarshal(b, &suites); err != nil {
		return nil, fmt.Errorf("ginkgo report %s: %w", path, err)
	}
	res := map[string]string{}
	for _, s := range suites {
		for _, r := range s.SpecReports {
			if r.LeafNodeType != "It" {
				continue
			}
			name := strings.Join(append(r.ContainerHierarchyTexts, r.LeafNodeText), " ")
			st := r.State
			// A skip's reason is its failure message (critest's own Skip
			// calls); specs left out by focus have none.
			if st != "passed" && r.Failure.Message != "" {
				msg, _, _ := strings.Cut(strings.TrimSpace(r.Failure.Message), "\n")
				if len(msg) > 160 {
					msg = msg[:160] + "…"
				}
				st += ": " + msg
			}
			res[name] = st
		}
	}
	return res, nil
}
