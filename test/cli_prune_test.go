package test

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// runStdin runs jinn with stdin and returns stdout and the exit code.
func (j *jinnEnv) runStdin(stdin string, args ...string) (string, int) {
	j.t.Helper()
	c := j.cmd(args...)
	var out bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader(stdin), &out, &out
	err := c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		j.t.Fatalf("jinn %v: %v", args, err)
	}
	return out.String(), 0
}

// TestCLIPrune: every prune takes --filter until= and label=, asks
// [y/N] without -f, and system prune -a removes unused images and reports
// the space reclaimed.
func TestCLIPrune(t *testing.T) {
	j := newJinn(t, "")
	img := j.image()
	create := func(name string, flags ...string) string {
		return strings.TrimSpace(j.ok(append(append(append([]string{"create", "--name", name}, flags...), img...), "true")...))
	}
	a := create("pa", "--label", "tier=web")
	create("pb", "--label", "tier=db")
	create("pc")

	if got := strings.TrimSpace(j.ok("ps", "-a", "--filter", "since=pa", "--filter", "before=pc", "--format", "{{.Names}}")); got != "pb" {
		t.Errorf("ps --filter since=pa --filter before=pc: %q", got)
	}
	if _, _, code := j.run("ps", "--filter", "since=nobody-home"); code != 125 {
		t.Errorf("ps --filter since= of a missing container: exit %d", code)
	}
	// Without -f: the warning and [y/N]; "n" and no input keep everything.
	for _, in := range []string{"n\n", ""} {
		out, code := j.runStdin(in, "container", "prune", "--filter", "label=tier=web")
		if code != 0 || !strings.Contains(out, "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ") {
			t.Errorf("container prune prompt (stdin %q): exit %d\n%s", in, code, out)
		}
	}
	if n := len(strings.Fields(j.ok("ps", "-aq"))); n != 3 {
		t.Fatalf("declined prune removed containers: %d left", n)
	}
	out, _ := j.runStdin("y\n", "container", "prune", "--filter", "label=tier=web")
	if !strings.Contains(out, "Deleted Containers:\n"+a+"\n") || !strings.Contains(out, "Total reclaimed space:") {
		t.Errorf("container prune label=tier=web:\n%s", out)
	}
	// until=1h: all were made just now, so none is older.
	if out := j.ok("container", "prune", "-f", "--filter", "until=1h"); strings.Contains(out, "Deleted") {
		t.Errorf("until=1h removed fresh containers:\n%s", out)
	}
	if out := j.ok("container", "prune", "-f", "--filter", "label!=tier"); strings.Count(out, "\n") != 4 {
		t.Errorf("label!=tier should remove pc only:\n%s", out)
	}
	if got := strings.TrimSpace(j.ok("ps", "-a", "--format", "{{.Names}}")); got != "pb" {
		t.Errorf("left after prunes: %q", got)
	}
	if _, errs, code := j.run("container", "prune", "-f", "--filter", "until=yesterday"); code != 125 || !strings.Contains(errs, "time or duration") {
		t.Errorf("bad until: exit %d %s", code, errs)
	}
	if _, _, code := j.run("system", "prune", "-f", "--filter", "colour=red"); code != 125 {
		t.Errorf("bad filter key: exit %d", code)
	}

	// Volumes and networks: label filters.
	j.ok("volume", "create", "--label", "junk=1", "pv1")
	j.ok("volume", "create", "pv2")
	if out := j.ok("volume", "prune", "-a", "-f", "--filter", "label=junk"); !strings.Contains(out, "Deleted Volumes:\npv1\n") || strings.Contains(out, "pv2") {
		t.Errorf("volume prune --filter label=junk:\n%s", out)
	}
	if out, _ := j.runStdin("\n", "volume", "prune", "-a"); !strings.Contains(out, "[y/N]") || strings.Contains(out, "Deleted") {
		t.Errorf("volume prune without -f:\n%s", out)
	}
	j.ok("network", "create", "--label", "junk=1", "pn1")
	j.ok("network", "create", "pn2")
	if out := j.ok("network", "prune", "-f", "--filter", "label=junk=1"); !strings.Contains(out, "Deleted Networks:\npn1\n") || strings.Contains(out, "pn2") {
		t.Errorf("network prune --filter label:\n%s", out)
	}
	if out, _ := j.runStdin("nope\n", "network", "prune"); !strings.Contains(out, "custom networks") || strings.Contains(out, "pn2") {
		t.Errorf("network prune without -f:\n%s", out)
	}

	// Images take the same until= forms (a Unix time here: before the
	// fixture's 2024 date) and label!=.
	if out := j.ok("image", "prune", "-a", "-f", "--filter", "until=1700000000"); strings.Contains(out, "Deleted") {
		t.Errorf("image prune until=1700000000 removed a 2024 image:\n%s", out)
	}
	if out := j.ok("images", "-q", "--filter", "label!=nosuch"); strings.TrimSpace(out) == "" {
		t.Errorf("images --filter label!=nosuch lists nothing")
	}
	// system prune -a: the unused image goes, and its space is counted.
	j.ok("rm", "pb")
	out, _ = j.runStdin("y\n", "system", "prune", "-a")
	if !strings.Contains(out, "  - all images without at least one container associated to them") ||
		!strings.Contains(out, "Deleted Networks:\npn2\n") || !strings.Contains(out, "untagged: busybox:latest") {
		t.Errorf("system prune -a:\n%s", out)
	}
	if strings.Contains(out, "Total reclaimed space: 0B") || !strings.Contains(out, "Total reclaimed space: ") {
		t.Errorf("system prune -a reclaimed nothing:\n%s", out)
	}
	if got := strings.TrimSpace(j.ok("images", "-q")); got != "" {
		t.Errorf("images left after system prune -a: %q", got)
	}
}
