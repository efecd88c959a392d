package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/jinn-containers/jinn/internal/engine"
)

// parseRun parses run's flags and arguments as the command does.
func parseRun(t *testing.T, args ...string) (*engine.CreateOptions, error) {
	t.Helper()
	f := &createFlags{}
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return f.options(fs, fs.Args())
}

// TestCreateFlags: each family of run/create flags lands in the fields
// docker puts it in (checked on the options' JSON).
func TestCreateFlags(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want []string // substrings of the options' JSON
	}{
		"basic": {[]string{"--name", "web", "-e", "A=1", "-l", "k=v", "-w", "/srv", "-u", "1000:100",
			"-h", "box", "-it", "busybox", "sh", "-c", "true"},
			[]string{`"Name":"web"`, `"Image":"busybox"`, `"Cmd":["sh","-c","true"]`, `"Env":["A=1"]`,
				`"Labels":{"k":"v"}`, `"WorkingDir":"/srv"`, `"User":"1000:100"`, `"Hostname":"box"`,
				`"Tty":true`, `"OpenStdin":true`}},
		"entrypoint": {[]string{"--entrypoint", "", "busybox"}, []string{`"EntrypointSet":true`}},
		"resources": {[]string{"-m", "64m", "--memory-swap", "128m", "--cpus", "1.5", "--cpu-shares", "512",
			"--pids-limit", "50", "--ulimit", "nofile=100:200", "--oom-score-adj", "100", "busybox"},
			[]string{`"Memory":67108864`, `"MemorySwap":134217728`, `"NanoCpus":1500000000`, `"CpuShares":512`,
				`"PidsLimit":50`, `"Ulimits":[{"Name":"nofile","Soft":100,"Hard":200}]`, `"OomScoreAdj":100`}},
		"security": {[]string{"--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--privileged", "--read-only",
			"--security-opt", "no-new-privileges", "busybox"},
			[]string{`"CapAdd":["NET_ADMIN"]`, `"CapDrop":["ALL"]`, `"Privileged":true`, `"ReadonlyRootfs":true`,
				`"SecurityOpt":["no-new-privileges"]`}},
		"mounts": {[]string{"-v", "/a:/b:ro", "--tmpfs", "/t:size=1m", "--mount", "type=bind,src=/x,dst=/y", "busybox"},
			[]string{`"Volumes":["/a:/b:ro"]`, `"Tmpfs":["/t:size=1m"]`, `"Mounts":["type=bind,src=/x,dst=/y"]`}},
		"restart-log": {[]string{"--restart", "on-failure:3", "--log-opt", "max-size=1m", "--rm=false", "busybox"},
			[]string{`"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}`, `"max-size":"1m"`}},
		"network": {[]string{"--network", "none", "busybox"}, []string{`"NetworkMode":"none"`}},
	} {
		t.Run(name, func(t *testing.T) {
			o, err := parseRun(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(o)
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("%v: no %s in\n%s", tc.args, w, b)
				}
			}
		})
	}
}

// TestCreateFlagsBad: flags that do not parse are a usage error (exit
// 125) with docker's message, before anything is made; values that parse
// but are out of range are the engine's to refuse (engine.TestValidate).
func TestCreateFlagsBad(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-m", "lots", "busybox"}, "invalid size"},
		{[]string{"--cpus", "x", "busybox"}, "--cpus"},
		{[]string{"--ulimit", "nofile", "busybox"}, "ulimit"},
		{[]string{"--restart", "on-failure:x", "busybox"}, "maximum retry count must be an integer"},
		{[]string{}, "requires at least 1 argument"},
	} {
		_, err := parseRun(t, tc.args...)
		var u usageError
		if err == nil || !errors.As(err, &u) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: %v, want a usage error with %q", tc.args, err, tc.msg)
		}
	}
}

// arrayValue renders and collects as pflag's own stringArray does.
func TestArrayValueMatchesPflag(t *testing.T) {
	for _, def := range [][]string{nil, {"a"}, {"a,b", `q"x`, " s", ""}} {
		var ours, theirs []string
		fo, fp := pflag.NewFlagSet("o", pflag.ContinueOnError), pflag.NewFlagSet("p", pflag.ContinueOnError)
		stringArrayVarP(fo, &ours, "x", "x", def, "")
		fp.StringArrayVarP(&theirs, "x", "x", def, "")
		if a, b := fo.Lookup("x"), fp.Lookup("x"); a.DefValue != b.DefValue || a.Value.Type() != b.Value.Type() {
			t.Fatalf("default %q: ours %q %s, pflag's %q %s", def, a.DefValue, a.Value.Type(), b.DefValue, b.Value.Type())
		}
		args := []string{"-x", "1,2", "--x", "3"}
		if err := fo.Parse(args); err != nil {
			t.Fatal(err)
		}
		if err := fp.Parse(args); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ours) != fmt.Sprint(theirs) || fo.Lookup("x").Value.String() != fp.Lookup("x").Value.String() {
			t.Fatalf("parsed: ours %q, pflag's %q", ours, theirs)
		}
	}
}
