package test

import (
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// TestBuildRunConfinedLikeRun: a Dockerfile RUN step is confined exactly
// like `jinn run` of the same image (both come from internal/recipe): the
// same capabilities, seccomp, no_new_privs and cpus in /proc/self/status,
// and the same mounts with the same options in /proc/self/mountinfo, but
// for the /etc files the engine manages.
func TestBuildRunConfinedLikeRun(t *testing.T) {
	e := newBuildEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM busybox\n" +
		"RUN cat /proc/self/status > /run.status; cat /proc/self/mountinfo > /run.mountinfo\n"})
	e.mustBuild("-q", "-t", "confine", dir)
	const split = "==SPLIT=="
	out, err := exec.Command(bin("jinn"), "--root", e.root, "--runroot", e.runroot, "run", "--rm", "confine", "sh", "-c",
		"cat /run.status; echo "+split+"; cat /run.mountinfo; echo "+split+"; cat /proc/self/status; echo "+split+"; cat /proc/self/mountinfo").CombinedOutput()
	if err != nil {
		t.Fatalf("jinn run: %v\n%s", err, out)
	}
	parts := strings.Split(string(out), split+"\n")
	if len(parts) != 4 {
		t.Fatalf("output in %d parts:\n%s", len(parts), out)
	}
	compare := func(what string, build, run []string) {
		if strings.Join(build, "\n") != strings.Join(run, "\n") {
			t.Errorf("%s of a RUN step differs from jinn run's:\n--- RUN\n%s\n--- run\n%s", what,
				strings.Join(build, "\n"), strings.Join(run, "\n"))
		}
	}
	compare("/proc/self/status", confinement(parts[0]), confinement(parts[2]))
	compare("/proc/self/mountinfo", mountShape(parts[1]), mountShape(parts[3]))
}

// confinement keeps the lines of /proc/self/status that say how a process
// is confined, dropping those that differ between any two processes.
func confinement(status string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(status), "\n") {
		k, _, _ := strings.Cut(l, ":")
		switch {
		case k == "Name", k == "State", k == "Tgid", k == "Ngid", k == "Pid", k == "PPid", k == "TracerPid",
			k == "FDSize", k == "Threads", k == "SigQ", strings.HasPrefix(k, "Vm"), strings.HasPrefix(k, "Rss"),
			strings.HasPrefix(k, "NS"), strings.HasPrefix(k, "Sig"), k == "ShdPnd", k == "HugetlbPages",
			strings.HasSuffix(k, "ctxt_switches"), k == "CoreDumping", k == "THP_enabled":
			continue
		}
		out = append(out, l)
	}
	return out
}

// mountShape is mountinfo without ids and devices: each mount point with
// its type and options, sorted. The root's source options (overlay
// layers) and the engine-managed /etc files are left out.
func mountShape(mi string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(mi), "\n") {
		f := strings.Fields(l)
		i := 6
		for i < len(f) && f[i] != "-" {
			i++
		}
		if len(f) < i+4 {
			continue
		}
		mp, opts, fstype, super := f[4], f[5], f[i+1], f[i+3]
		switch mp {
		case "/etc/hostname", "/etc/hosts", "/etc/resolv.conf":
			continue
		case "/":
			super = ""
		}
		out = append(out, strings.Join([]string{mp, fstype, opts, super}, " "))
	}
	sort.Strings(out)
	return out
}
