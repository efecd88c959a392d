package seccomp

import (
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// Features describes what Compile understands, for `jinn-runtime features`.
func Features() *features.Seccomp {
	yes := true
	f := &features.Seccomp{
		Enabled: &yes,
		Actions: []string{string(specs.ActAllow), string(specs.ActErrno), string(specs.ActKill),
			string(specs.ActKillThread), string(specs.ActKillProcess), string(specs.ActTrap),
			string(specs.ActTrace), string(specs.ActLog), string(specs.ActNotify)},
		Operators: []string{string(specs.OpNotEqual), string(specs.OpLessThan), string(specs.OpLessEqual),
			string(specs.OpEqualTo), string(specs.OpGreaterEqual), string(specs.OpGreaterThan), string(specs.OpMaskedEqual)},
	}
	for a := range archs {
		f.Archs = append(f.Archs, string(a))
	}
	for fl := range filterFlags {
		f.KnownFlags = append(f.KnownFlags, string(fl))
	}
	sort.Strings(f.Archs)
	sort.Strings(f.KnownFlags)
	f.SupportedFlags = f.KnownFlags
	return f
}
