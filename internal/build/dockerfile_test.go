package build

import (
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

func newLexForTest() *shell.Lex { return shell.NewLex('\\') }

func TestParseStages(t *testing.T) {
	df, err := Parse(strings.NewReader("# escape=`\nARG V=1\nFROM busybox:$V AS Build\nRUN echo a `\n  b\nFROM --platform=linux/amd64 scratch\nCOPY --from=build /a /a\nONBUILD RUN echo hi\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(df.MetaArgs) != 1 || len(df.Stages) != 2 {
		t.Fatalf("got %d meta args, %d stages", len(df.MetaArgs), len(df.Stages))
	}
	if s := df.Stages[0]; s.Name != "build" || s.Base != "busybox:$V" || s.Instrs[0].Args[0] != "echo a   b" {
		t.Errorf("stage 0: %+v %q", s, s.Instrs[0].Args)
	}
	s := df.Stages[1]
	if s.Platform != "linux/amd64" || s.Instrs[0].Flags[0] != "--from=build" {
		t.Errorf("stage 1: %+v", s)
	}
	if on := s.Instrs[1]; on.Sub == nil || on.Sub.Cmd != "run" || on.Sub.Original != "RUN echo hi" {
		t.Errorf("onbuild: %+v", on.Sub)
	}
}

func TestParseErrors(t *testing.T) {
	for _, df := range []string{
		"",
		"RUN echo\n",
		"FROM a AS b\nFROM c AS b\n",
		"FROM a b\n",
		"FROM a AS B!\n",
		"FROM a\nFOO bar\n",
		"FROM a\nCOPY onlyone\n",
		"FROM a\nONBUILD FROM b\n",
		"FROM a\nRUN <<EOF\nno end\n",
	} {
		if _, err := Parse(strings.NewReader(df)); err == nil {
			t.Errorf("%q: no error", df)
		}
	}
}

func TestVars(t *testing.T) {
	v := &vars{env: []string{"A=env"}, args: map[string]string{"A": "arg", "B": "b"}}
	v.lex = newLexForTest()
	got, err := v.word("${A}-$B-${C:-def}-'$A'")
	if err != nil || got != "env-b-def-$A" {
		t.Errorf("word = %q, %v", got, err)
	}
	env, pairs := v.runEnv()
	if strings.Join(pairs, ",") != "B=b" || len(env) != 2 {
		t.Errorf("runEnv = %q %q", env, pairs)
	}
}
