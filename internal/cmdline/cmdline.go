// Package cmdline finds the command a command line names before the
// command tree is built: jinn and jinn-runtime build only that command
// (their whole cobra trees cost ~0.5 ms and ~35 us, in every start).
package cmdline

import (
	"strings"

	"github.com/spf13/pflag"
)

// CommandName is the first argument that is neither one of the global
// flags in f nor such a flag's value; "" if there is none, or if an
// argument before it is a flag f does not hold (the caller then builds the
// whole tree, and cobra reports it as before).
func CommandName(f *pflag.FlagSet, args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "" || a[0] != '-' {
			return a
		}
		var fl *pflag.Flag
		if name, ok := strings.CutPrefix(a, "--"); ok {
			if strings.Contains(name, "=") {
				continue
			}
			fl = f.Lookup(name)
		} else if len(a) == 2 {
			fl = f.ShorthandLookup(a[1:])
		}
		if fl == nil {
			return ""
		}
		if fl.NoOptDefVal == "" { // takes a value: the next argument
			i++
		}
	}
	return ""
}
