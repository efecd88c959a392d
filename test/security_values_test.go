package test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestSecurityBadValues: values that do not make sense are refused with
// 125 and one line, never stored as "no limit" or as garbage; a negative
// --pids-limit is docker's "unlimited"; a long name is not echoed back.
func TestSecurityBadValues(t *testing.T) {
	j := newJinn(t, "jinn-runtime")
	img := j.image()[0]
	n := runtime.NumCPU()
	cases := [][]string{
		{"--memory", "inf"}, {"--memory", "Inf"}, {"--memory", "nan"}, {"--memory", "NaN"},
		{"--memory", "99999999999999999999"}, {"--memory", "9999999999t"}, {"--memory", "8192p"},
		{"--memory", "-1"}, {"--memory", "1e9"}, {"--memory", "0x100000000"},
		{"--memory-reservation", "nan"}, {"--memory-swap", "inf"},
		{"--cpus", "NaN"}, {"--cpus", "Inf"}, {"--cpus", "-Inf"}, {"--cpus", "-1"},
		{"--cpus", fmt.Sprint(n + 1)}, {"--cpus", "1e30"}, {"--cpus", "0.001"},
		{"--cpu-shares", "-1"}, {"--cpu-shares", "-9223372036854775808"},
		{"--name", strings.Repeat("n", 256)}, {"--name", strings.Repeat("x", 10240)},
	}
	for _, flags := range cases {
		out, errs, code := j.run(append(append([]string{"create"}, flags...), img, "true")...)
		what := flags[0] + " " + flags[1]
		if len(what) > 60 {
			what = what[:60] + "..."
		}
		if code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%s: exit %d, want 125 and one line; stdout %q stderr %.300q", what, code, out, errs)
		}
		if len(errs) > 300 {
			t.Errorf("%s: %d bytes of error (the value echoed back?)", what, len(errs))
		}
	}
	if _, errs, _ := j.run("create", "--cpus", fmt.Sprint(n+1), img, "true"); !strings.Contains(errs,
		fmt.Sprintf("range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", n, n)) {
		t.Errorf("--cpus %d: %q, want docker's message", n+1, errs)
	}
	if _, errs, _ := j.run("create", "--name", strings.Repeat("x", 300), img, "true"); !strings.Contains(errs, "255") {
		t.Errorf("a long name: %q does not say the limit", errs)
	}
	if ps := strings.TrimSpace(j.ok("ps", "-aq")); ps != "" {
		t.Fatalf("refused creates left containers: %q", ps)
	}

	// A name of exactly 255 characters is fine; rename to 256 is refused.
	name := strings.Repeat("n", 255)
	j.ok("create", "--name", name, img, "true")
	if _, errs, code := j.run("rename", name, strings.Repeat("m", 256)); code == 0 || !strings.Contains(errs, "255") {
		t.Errorf("rename to 256 characters: exit %d %q", code, errs)
	}
	j.ok("rm", name)

	// --pids-limit below zero is unlimited, as in docker.
	id := strings.TrimSpace(j.ok("run", "-d", "--pids-limit", "-5", img, "sleep", "30"))
	defer j.run("rm", "-f", id)
	if got := j.inspect(id, "{{.HostConfig.PidsLimit}}"); got != "-1" {
		t.Errorf("--pids-limit -5: PidsLimit %s, want -1 (unlimited)", got)
	}
	cg := strings.TrimSpace(j.ok("exec", id, "sh", "-c", "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"))
	if cg != "max" {
		t.Errorf("--pids-limit -5: pids.max %q, want max", cg)
	}
	// A --format template cannot print without bound (fuzzing found
	// `pad` and `range` over a split pad let it fill memory).
	for _, format := range []string{`{{pad "" 99999999999 0}}`, `{{range split (pad "" 16000000 0) ""}}{{pad "" 1000 0}}{{end}}`, `{{truncate .ID -1}}`} {
		for _, cmd := range [][]string{{"ps", "-a", "--format", format}, {"images", "--format", format}, {"inspect", "-f", format, id}} {
			out, errs, code := j.run(cmd...)
			if code == 0 || len(out) > 16<<20 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("%s %.30s: exit %d, %d bytes out, stderr %.200q", cmd[0], format, code, len(out), errs)
			}
		}
	}
	// Sizes still parse in every spelling docker takes.
	for _, m := range []string{"64m", "64MiB", "64 MB", "0.5g", "67108864"} {
		j.ok("run", "--rm", "--memory", m, img, "true")
	}
}
