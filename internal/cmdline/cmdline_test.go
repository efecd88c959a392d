package cmdline

import (
	"testing"

	"github.com/spf13/pflag"
)

func TestCommandName(t *testing.T) {
	f := pflag.NewFlagSet("x", pflag.ContinueOnError)
	f.String("root", "", "")
	f.BoolP("debug", "D", false, "")
	f.StringP("log", "l", "", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, ""}, {[]string{"run", "x"}, "run"}, {[]string{"--root", "/r", "run"}, "run"},
		{[]string{"--root=/r", "-D", "ps"}, "ps"}, {[]string{"--debug", "-l", "f", "state", "id"}, "state"},
		{[]string{"--root"}, ""}, {[]string{"--nosuch", "run"}, ""}, {[]string{"-x", "run"}, ""},
		{[]string{"--", "run"}, ""}, {[]string{"-", "run"}, ""}, {[]string{"-Dl", "run"}, ""},
		{[]string{"--help"}, ""}, {[]string{"", "run"}, ""}, {[]string{"--root", "run", "ps"}, "ps"},
	} {
		if got := CommandName(f, c.args); got != c.want {
			t.Errorf("CommandName(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}
