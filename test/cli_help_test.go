package test

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// helpFlag is one flag line of a --help: shorthand, type word and
// description (continuation lines joined, "(default …)" cut).
type helpFlag struct {
	name, short, typ, desc string
}

var (
	helpFlagLine = regexp.MustCompile(`^  (?:-(\S), |    )--([a-z0-9-]+)(?: ([a-zA-Z0-9-]+))?(?: {2,}(.*))?$`)
	helpDefault  = regexp.MustCompile(`\s*\(default [^()]*(?:\([^()]*\)[^()]*)*\)$`)
	helpSpaces   = regexp.MustCompile(`\s+`)
)

// parseHelpFlags reads the flag lines under "Options:" of a --help text.
func parseHelpFlags(help string) []helpFlag {
	var out []helpFlag
	in := false
	for _, l := range strings.Split(help, "\n") {
		switch {
		case l == "Options:":
			in = true
			continue
		case !in:
			continue
		case strings.TrimSpace(l) == "" || !strings.HasPrefix(l, "  "):
			in = false
			continue
		}
		if m := helpFlagLine.FindStringSubmatch(l); m != nil {
			out = append(out, helpFlag{name: m[2], short: m[1], typ: m[3], desc: m[4]})
		} else if len(out) > 0 {
			out[len(out)-1].desc += " " + strings.TrimSpace(l)
		}
	}
	for i := range out {
		d := helpSpaces.ReplaceAllString(strings.TrimSpace(out[i].desc), " ")
		out[i].desc = helpDefault.ReplaceAllString(d, "")
	}
	return out
}

// helpCommands lists the command paths under path that a --help names.
func helpCommands(help func(path ...string) string, path ...string) [][]string {
	var out [][]string
	in := false
	for _, l := range strings.Split(help(path...), "\n") {
		if strings.HasSuffix(l, "Commands:") && !strings.HasPrefix(l, " ") {
			in = true
			continue
		}
		if strings.TrimSpace(l) == "" || !strings.HasPrefix(l, "  ") {
			in = false
			continue
		}
		if f := strings.Fields(l); in && len(f) > 0 && f[0] != "help" {
			sub := append(slices.Clone(path), strings.TrimSuffix(f[0], "*"))
			out = append(out, sub)
			out = append(out, helpCommands(help, sub...)...)
		}
	}
	return out
}

// helpWording lists the shared flags whose description is knowingly not
// docker's: jinn has no daemon, and says what it does instead.
var helpWording = map[string]bool{
	"run cgroupns": true, "create cgroupns": true, "container run cgroupns": true, "container create cgroupns": true,
	// docker's reads ("always", "|missing", "never"): a slip not copied.
	"create pull": true, "container create pull": true,
}

// TestCLIHelpDocker: every command jinn shares with docker lists the
// flags they share in docker's order, with docker's shorthand, type word
// and wording. Docker's CLI (28.x) is the reference; without it the test
// skips.
func TestCLIHelpDocker(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker CLI to compare --help with")
	}
	j := newJinn(t, "")
	dockerHelp := func(path ...string) string {
		out, _ := exec.Command(docker, append(path, "--help")...).Output()
		return string(out)
	}
	jinnHelp := func(path ...string) string { return j.ok(append(path, "--help")...) }
	var theirs [][]string
	for _, p := range helpCommands(dockerHelp) {
		theirs = append(theirs, p)
	}
	shared := 0
	for _, p := range helpCommands(jinnHelp) {
		if !slices.ContainsFunc(theirs, func(q []string) bool { return slices.Equal(p, q) }) {
			continue
		}
		shared++
		cmd := strings.Join(p, " ")
		df, jf := parseHelpFlags(dockerHelp(p...)), parseHelpFlags(jinnHelp(p...))
		byName := map[string]helpFlag{}
		for _, f := range df {
			byName[f.name] = f
		}
		var jOrder, dOrder []string
		for _, f := range jf {
			d, ok := byName[f.name]
			if !ok {
				continue
			}
			jOrder = append(jOrder, f.name)
			if f.short != d.short || f.typ != d.typ {
				t.Errorf("%s --%s: jinn -%s %s, docker -%s %s", cmd, f.name, f.short, f.typ, d.short, d.typ)
			}
			// jinn may add a note in parentheses after docker's words.
			if f.desc != d.desc && !strings.HasPrefix(f.desc, d.desc+" (") && !helpWording[cmd+" "+f.name] {
				t.Errorf("%s --%s:\n  jinn:   %s\n  docker: %s", cmd, f.name, f.desc, d.desc)
			}
		}
		for _, f := range df {
			if slices.Contains(jOrder, f.name) {
				dOrder = append(dOrder, f.name)
			}
		}
		if !slices.Equal(jOrder, dOrder) {
			t.Errorf("%s: flags in jinn's order %v, docker's %v", cmd, jOrder, dOrder)
		}
	}
	if shared < 50 {
		t.Errorf("only %d commands shared with docker: the help parser is off", shared)
	}
}
