package cli

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// The value forms a run plan admits and those it leaves to Go.
func TestRunPlanValues(t *testing.T) {
	for args, want := range map[string]bool{
		"--network none":                                            true,
		"--network host -e A=1 --env B":                             true,
		"--network none --security-opt no-new-privileges":           true,
		"--network none --log-opt max-size=1m --log-opt max-file=2": true,
		"--network none -e _":                                       false,
		"--network bridge":                                          false,
		"--network none --network host":                             false,
		"--network container:x":                                     false,
		"--network none --security-opt seccomp=/tmp/p.json":         false,
		"--network none --security-opt apparmor=unconfined":         false,
		"--network none --log-driver syslog":                        false,
		"--network none --log-opt tag=x":                            false,
	} {
		var f createFlags
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		f.register(fs)
		if err := fs.Parse(strings.Fields(args)); err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		if got := runPlanValues(&f); got != want {
			t.Errorf("%s: %v, want %v", args, got, want)
		}
	}
}
