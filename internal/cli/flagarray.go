package cli

import (
	"bytes"
	"encoding/csv"
	"strings"

	"github.com/spf13/pflag"
)

// arrayValue is pflag's stringArray (each use of the flag adds one value,
// the first replacing the default) without its cost at registration:
// pflag renders every default through an encoding/csv writer with a 4 KiB
// buffer, 650 KB and ~0.5 ms of every jinn command's start for the ~50
// list flags of run, create and their container twins, before any of
// them is parsed.
type arrayValue struct {
	p       *[]string
	changed bool
}

func stringArrayVar(f *pflag.FlagSet, p *[]string, name string, value []string, usage string) {
	stringArrayVarP(f, p, name, "", value, usage)
}

func stringArrayVarP(f *pflag.FlagSet, p *[]string, name, shorthand string, value []string, usage string) {
	*p = value
	f.VarP(&arrayValue{p: p}, name, shorthand, usage)
}

func (a *arrayValue) Set(v string) error {
	if !a.changed {
		*a.p = []string{v}
		a.changed = true
	} else {
		*a.p = append(*a.p, v)
	}
	return nil
}

// Type is pflag's, so help shows the flag as a list.
func (a *arrayValue) Type() string { return "stringArray" }

// String is pflag's rendering: the values as one CSV record in brackets.
// Only a default that is not empty pays for the writer.
func (a *arrayValue) String() string {
	if len(*a.p) == 0 {
		return "[]"
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(*a.p)
	w.Flush()
	return "[" + strings.TrimSuffix(b.String(), "\n") + "]"
}

// The pflag.SliceValue methods, as pflag's stringArray has them.
func (a *arrayValue) Append(v string) error {
	*a.p = append(*a.p, v)
	return nil
}

func (a *arrayValue) Replace(vs []string) error {
	*a.p = append([]string(nil), vs...)
	return nil
}

func (a *arrayValue) GetSlice() []string { return *a.p }
