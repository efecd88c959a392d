// Package build turns a Dockerfile and a context into ordinary images in
// jinn's store, with a layer cache shared across builds.
package build

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Instruction is one Dockerfile line as written: nothing is expanded yet,
// because ARG and ENV values are only known while the stage is built.
type Instruction struct {
	Cmd      string   // lower case: "run", "copy", ...
	Args     []string // the parser's words (key, value, sep triples for ENV/LABEL)
	JSON     bool     // exec form: ["a", "b"]
	Flags    []string // --from=x, --chown=u:g, ...
	Heredocs []parser.Heredoc
	Original string // the line as written, continuations joined
	Line     int
	Sub      *Instruction // ONBUILD's trigger
}

// String is the step as docker prints it: "RUN echo hi".
func (in *Instruction) String() string { return in.Original }

// Stage is one FROM and the instructions under it.
type Stage struct {
	Index    int
	Name     string // AS name, lower case; "" when unnamed
	Base     string // the FROM argument, unexpanded
	Platform string
	From     *Instruction
	Instrs   []*Instruction
}

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	MetaArgs []*Instruction // ARGs before the first FROM
	Stages   []*Stage
	Escape   rune
}

// Parse reads a Dockerfile with buildkit's parser and groups it into stages.
func Parse(r io.Reader) (*Dockerfile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read Dockerfile: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("the Dockerfile is empty")
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parse Dockerfile: %w", err)
	}
	df := &Dockerfile{Escape: res.EscapeToken}
	var cur *Stage
	for _, n := range res.AST.Children {
		in, err := convert(n)
		if err != nil {
			return nil, err
		}
		switch {
		case in.Cmd == "from":
			st, err := newStage(in, len(df.Stages))
			if err != nil {
				return nil, err
			}
			for _, s := range df.Stages {
				if st.Name != "" && s.Name == st.Name {
					return nil, fmt.Errorf("line %d: duplicate stage name %q", in.Line, st.Name)
				}
			}
			df.Stages = append(df.Stages, st)
			cur = st
		case cur == nil && in.Cmd == "arg":
			df.MetaArgs = append(df.MetaArgs, in)
		case cur == nil:
			return nil, fmt.Errorf("line %d: %s before the first FROM: a Dockerfile must start with FROM (after ARGs)", in.Line, strings.ToUpper(in.Cmd))
		default:
			cur.Instrs = append(cur.Instrs, in)
		}
	}
	if len(df.Stages) == 0 {
		return nil, fmt.Errorf("the Dockerfile has no FROM instruction")
	}
	return df, nil
}

var known = map[string]bool{
	"from": true, "run": true, "copy": true, "add": true, "env": true, "arg": true,
	"workdir": true, "user": true, "cmd": true, "entrypoint": true, "expose": true,
	"label": true, "volume": true, "stopsignal": true, "healthcheck": true,
	"shell": true, "onbuild": true, "maintainer": true,
}

func convert(n *parser.Node) (*Instruction, error) {
	in := &Instruction{
		Cmd:      strings.ToLower(n.Value),
		JSON:     n.Attributes["json"],
		Flags:    n.Flags,
		Heredocs: n.Heredocs,
		Original: n.Original,
		Line:     n.StartLine,
	}
	if !known[in.Cmd] {
		return nil, fmt.Errorf("line %d: unknown instruction: %s", in.Line, strings.ToUpper(in.Cmd))
	}
	for x := n.Next; x != nil; x = x.Next {
		if in.Cmd == "onbuild" && len(x.Children) > 0 {
			sub, err := convert(x.Children[0])
			if err != nil {
				return nil, err
			}
			switch sub.Cmd {
			case "onbuild", "from", "maintainer":
				return nil, fmt.Errorf("line %d: %s is not allowed as an ONBUILD trigger", in.Line, strings.ToUpper(sub.Cmd))
			}
			in.Sub = sub
			sub.Original = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(in.Original)[len("ONBUILD"):], " "))
			continue
		}
		in.Args = append(in.Args, x.Value)
	}
	if in.Cmd == "onbuild" && in.Sub != nil {
		return in, nil
	}
	if err := checkArity(in); err != nil {
		return nil, err
	}
	return in, nil
}

func checkArity(in *Instruction) error {
	min := 1
	switch in.Cmd {
	case "cmd", "entrypoint", "run":
		min = 0
		if in.Cmd == "run" && !in.JSON {
			min = 1
		}
	case "copy", "add":
		min = 2
		if len(in.Heredocs) > 0 {
			min = 1
		}
	case "healthcheck":
		min = 1
	}
	if len(in.Args) < min {
		return fmt.Errorf("line %d: %s requires at least %d argument(s)", in.Line, strings.ToUpper(in.Cmd), min)
	}
	return nil
}

func newStage(in *Instruction, idx int) (*Stage, error) {
	st := &Stage{Index: idx, From: in}
	for _, f := range in.Flags {
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		switch k {
		case "platform":
			st.Platform = v
		default:
			return nil, fmt.Errorf("line %d: FROM: unknown flag --%s", in.Line, k)
		}
	}
	switch {
	case len(in.Args) == 1:
	case len(in.Args) == 3 && strings.EqualFold(in.Args[1], "as"):
		st.Name = strings.ToLower(in.Args[2])
		if !validStageName(st.Name) {
			return nil, fmt.Errorf("line %d: invalid stage name %q", in.Line, in.Args[2])
		}
	default:
		return nil, fmt.Errorf("line %d: FROM requires either one or three arguments (FROM image [AS name])", in.Line)
	}
	st.Base = in.Args[0]
	return st, nil
}

func validStageName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '-' || c == '_' || c == '.')
		if !ok {
			return false
		}
	}
	return true
}

// flag returns the value of --name=value on an instruction, and whether it
// was given; unknown flags are errors so typos don't pass silently.
func parseFlags(in *Instruction, allowed ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range in.Flags {
		k, v, hasV := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return nil, fmt.Errorf("line %d: %s: unknown flag --%s", in.Line, strings.ToUpper(in.Cmd), k)
		}
		if !hasV {
			v = "true"
		}
		out[k] = v
	}
	return out, nil
}
