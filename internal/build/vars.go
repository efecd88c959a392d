package build

import (
	"fmt"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// vars is what words are expanded with: the stage's ENV over its ARGs
// (docker: ENV always wins over ARG of the same name).
type vars struct {
	env  []string          // KEY=value, the image config's Env
	args map[string]string // ARGs in scope with their values
	lex  *shell.Lex
}

func (v *vars) Get(k string) (string, bool) {
	for i := len(v.env) - 1; i >= 0; i-- {
		if key, val, _ := strings.Cut(v.env[i], "="); key == k {
			return val, true
		}
	}
	val, ok := v.args[k]
	return val, ok
}

func (v *vars) Keys() []string {
	seen := map[string]bool{}
	var ks []string
	for _, e := range v.env {
		k, _, _ := strings.Cut(e, "=")
		if !seen[k] {
			seen[k] = true
			ks = append(ks, k)
		}
	}
	for k := range v.args {
		if !seen[k] {
			seen[k] = true
			ks = append(ks, k)
		}
	}
	return ks
}

// word expands $VAR, ${VAR:-x} and quotes in one Dockerfile word.
func (v *vars) word(s string) (string, error) {
	out, _, err := v.lex.ProcessWord(s, v)
	if err != nil {
		return "", fmt.Errorf("expand %q: %w", s, err)
	}
	return out, nil
}

func (v *vars) words(ss []string) ([]string, error) {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		w, err := v.word(s)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// runEnv is the environment of a RUN: ENV plus the ARGs that ENV does not
// shadow. The ARG part is also returned sorted, for the cache key and the
// "|N K=V" history prefix docker records.
func (v *vars) runEnv() (env []string, argPairs []string) {
	env = append(env, v.env...)
	for k, val := range v.args {
		if _, shadowed := lookupEnv(v.env, k); shadowed {
			continue
		}
		argPairs = append(argPairs, k+"="+val)
	}
	sort.Strings(argPairs)
	return append(env, argPairs...), argPairs
}

func lookupEnv(env []string, k string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if key, val, _ := strings.Cut(env[i], "="); key == k {
			return val, true
		}
	}
	return "", false
}

// setEnv replaces or appends KEY=value.
func setEnv(env []string, k, val string) []string {
	out := make([]string, 0, len(env)+1)
	for _, e := range env {
		if key, _, _ := strings.Cut(e, "="); key != k {
			out = append(out, e)
		}
	}
	return append(out, k+"="+val)
}

// pairs reads ENV/LABEL's (key, value, separator) triples.
func pairs(in *Instruction) ([][2]string, error) {
	if len(in.Args)%3 != 0 {
		return nil, fmt.Errorf("line %d: %s: malformed key=value pairs", in.Line, strings.ToUpper(in.Cmd))
	}
	var out [][2]string
	for i := 0; i+2 < len(in.Args); i += 3 {
		out = append(out, [2]string{in.Args[i], in.Args[i+1]})
	}
	return out, nil
}
