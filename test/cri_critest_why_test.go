package test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// criWhy says why a critest spec does not pass on this host with either
// handler: the first pattern matching the spec's text gives the reason.
// docs/kubernetes.md's table comes from it (JINN_CRITEST_REPORT); a spec
// that fails without a reason here shows its failure message instead.
// unrun marks the reasons for specs critest leaves out of every run (its
// report calls them skipped, with no message); other specs skipped with
// no message were outside the run's focus.
var criWhy = []struct {
	spec  *regexp.Regexp
	why   string
	unrun bool
}{
	{spec: regexp.MustCompile(`AppArmor`), why: "this kernel has no AppArmor"},
	{spec: regexp.MustCompile(`recursive readonly`), why: "containerd 1.6 announces no runtime handler features, so critest assumes no recursive read-only mounts"},
	{spec: regexp.MustCompile(`benchmark`), why: "run only in critest's `-benchmark` mode: `bench/cri.sh`, BENCHMARKS.md", unrun: true},
	{spec: regexp.MustCompile(`Image Volume`), why: "containerd 1.6 has no image volumes"},
	{spec: regexp.MustCompile(`\] NRI `), why: "containerd 1.6 has no NRI v2 plugin socket"},
	{spec: regexp.MustCompile(`metrics`), why: "containerd 1.6 lacks the CRI metrics calls"},
	{spec: regexp.MustCompile(`SupplementalGroupsPolicy`), why: "containerd 1.6 does not announce the feature"},
	{spec: regexp.MustCompile(`UserNamespaces`), why: "containerd 1.6 announces no runtime handler with user namespaces"},
	{spec: regexp.MustCompile(`Idempotence Stop.* not found`), why: "containerd 1.6 answers NotFound for an unknown id where the spec wants success"},
	{spec: regexp.MustCompile(`\] Image (Manager|Consistency|Identifier)`), why: "image service, no runtime part: with `--registry-prefix` critest pulls `<prefix>/<path>:latest` but looks the image up by its raw `gcr.io/…`/`registry.k8s.io/…` name, tag or digest"},
	{spec: regexp.MustCompile(`host port and container port`), why: "no `portmap` CNI plugin: the test adds no host firewall rules"},
	{spec: regexp.MustCompile(`MaskedPaths`), why: "stand-in image: Debian's busybox-static shell runs applets in-process (FEATURE_SH_STANDALONE), so `sh -c ls` never execs the masked `/bin/ls`; the mask itself is there with both (jinn: test/runtime_rootfs_test.go)"},
}

// criTableRow is the report's row for spec with states r (runc) and j
// (jinn) as readGinkgoReport gives them.
func criTableRow(spec, r string, others ...string) string {
	rs, rmsg, _ := strings.Cut(r, ": ")
	states := []string{rs}
	msg, allPassed := rmsg, rs == "passed"
	for _, o := range others {
		os, omsg, _ := strings.Cut(o, ": ")
		states = append(states, os)
		allPassed = allPassed && os == "passed"
		if msg == "" {
			msg = omsg
		}
	}
	var why string
	if !allPassed {
		for _, w := range criWhy {
			if w.spec.MatchString(spec) && (w.unrun || rs != "skipped" || msg != "") {
				why = w.why
				break
			}
		}
		if m, _, cut := strings.Cut(msg, ": failed to generate container"); cut {
			msg = m + ": …"
		}
		switch {
		case rs == "skipped" && msg != "":
			why = strings.TrimSuffix(fmt.Sprintf("critest skips: %q; %s", msg, why), "; ")
		case rs == "skipped" && why == "":
			why = "outside this run's focus"
		case why == "":
			why = "fails: " + msg
		}
	}
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	return fmt.Sprintf("| %s | %s | %s |\n", esc(strings.TrimPrefix(spec, "[k8s.io] ")), strings.Join(states, " | "), esc(why))
}
func TestCRITableRow(t *testing.T) {
	for _, c := range []struct{ spec, r, j, want string }{
		{"[k8s.io] X should work", "passed", "passed", "| X should work | passed | passed |  |\n"},
		{"[k8s.io] AppArmor a", "skipped: AppArmor is disabled on this host", "skipped: AppArmor is disabled on this host",
			"| AppArmor a | skipped | skipped | critest skips: \"AppArmor is disabled on this host\"; this kernel has no AppArmor |\n"},
		{"[k8s.io] AppArmor a", "skipped", "skipped", "| AppArmor a | skipped | skipped | outside this run's focus |\n"},
		{"[k8s.io] PodSandbox benchmark b", "skipped", "skipped",
			"| PodSandbox benchmark b | skipped | skipped | run only in critest's `-benchmark` mode: `bench/cri.sh`, BENCHMARKS.md |\n"},
		{"[k8s.io] Y a|b", "passed", "failed: boom", "| Y a\\|b | passed | failed | fails: boom |\n"},
	} {
		if got := criTableRow(c.spec, c.r, c.j); got != c.want {
			t.Errorf("criTableRow(%q, %q, %q) =\n%q, want\n%q", c.spec, c.r, c.j, got, c.want)
		}
	}
}
