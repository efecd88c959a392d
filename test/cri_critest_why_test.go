package test

import (
	"fmt"
	"regexp"
	"strings"
)

// criWhy says why a critest spec does not pass on this host with either
// handler: the first pattern matching the spec's text gives the reason.
// docs/kubernetes.md's table comes from it (JINN_CRITEST_REPORT); a spec
// that fails without a reason here shows its failure message instead.
var criWhy = []struct {
	spec *regexp.Regexp
	why  string
}{
	{regexp.MustCompile(`AppArmor`), "this kernel has no AppArmor"},
	{regexp.MustCompile(`recursive readonly`), "containerd 1.6 announces no runtime handler features, so critest assumes no recursive read-only mounts"},
	{regexp.MustCompile(`benchmark`), "run only in critest's `-benchmark` mode: `bench/cri.sh`, BENCHMARKS.md"},
	{regexp.MustCompile(`Image Volume`), "containerd 1.6 has no image volumes"},
	{regexp.MustCompile(`\] NRI `), "containerd 1.6 has no NRI v2 plugin socket"},
	{regexp.MustCompile(`metrics`), "containerd 1.6 lacks the CRI metrics calls"},
	{regexp.MustCompile(`SupplementalGroupsPolicy`), "containerd 1.6 does not announce the feature"},
	{regexp.MustCompile(`UserNamespaces`), "containerd 1.6 announces no runtime handler with user namespaces"},
	{regexp.MustCompile(`Idempotence Stop.* not found`), "containerd 1.6 answers NotFound for an unknown id where the spec wants success"},
	{regexp.MustCompile(`\] Image (Manager|Consistency|Identifier)`), "image service, no runtime part: with `--registry-prefix` critest pulls `<prefix>/<path>:latest` but looks the image up by its raw `gcr.io/…`/`registry.k8s.io/…` name, tag or digest"},
	{regexp.MustCompile(`host port and container port`), "no `portmap` CNI plugin: the test adds no host firewall rules"},
	{regexp.MustCompile(`MaskedPaths`), "stand-in image: Debian's busybox-static shell runs applets in-process (FEATURE_SH_STANDALONE), so `sh -c ls` never execs the masked `/bin/ls`; the mask itself is there with both (jinn: test/runtime_rootfs_test.go)"},
}

// criTableRow is the report's row for spec with states r (runc) and j
// (jinn) as readGinkgoReport gives them.
func criTableRow(spec, r, j string) string {
	rs, rmsg, _ := strings.Cut(r, ": ")
	js, jmsg, _ := strings.Cut(j, ": ")
	var why string
	if rs != "passed" || js != "passed" {
		for _, w := range criWhy {
			if w.spec.MatchString(spec) {
				why = w.why
				break
			}
		}
		msg := rmsg
		if msg == "" {
			msg = jmsg
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
	return fmt.Sprintf("| %s | %s | %s | %s |\n", esc(strings.TrimPrefix(spec, "[k8s.io] ")), rs, js, esc(why))
}
