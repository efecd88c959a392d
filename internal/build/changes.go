package build

import (
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/jinn-containers/jinn/internal/image"
)

// changeInstructions are the instructions --change takes.
var changeInstructions = map[string]bool{
	"cmd": true, "entrypoint": true, "env": true, "label": true, "workdir": true,
	"user": true, "stopsignal": true, "expose": true, "volume": true,
}

// ApplyChanges applies Dockerfile instructions given as --change (import,
// commit) to cfg through the builder's own dispatch: the same parser,
// forms and variable expansion as in a Dockerfile.
func ApplyChanges(cfg *image.Config, changes []string) error {
	s := &stage{cfg: *cfg, v: &vars{env: cfg.Config.Env, args: map[string]string{}, lex: shell.NewLex('\\')}}
	for _, ch := range changes {
		in, err := parseChange(ch)
		if err != nil {
			return err
		}
		mutate, _, err := s.meta(in)
		if err != nil {
			return fmt.Errorf("invalid --change %q: %w", ch, err)
		}
		if err := mutate(&s.cfg); err != nil {
			return fmt.Errorf("invalid --change %q: %w", ch, err)
		}
	}
	*cfg = s.cfg
	return nil
}

func parseChange(ch string) (*Instruction, error) {
	word, arg, _ := strings.Cut(strings.TrimSpace(ch), " ")
	if !changeInstructions[strings.ToLower(word)] {
		return nil, fmt.Errorf("invalid --change %q: %s is not supported (CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, STOPSIGNAL, EXPOSE, VOLUME)", ch, word)
	}
	if strings.TrimSpace(arg) == "" {
		return nil, fmt.Errorf("invalid --change %q: missing argument", ch)
	}
	res, err := parser.Parse(strings.NewReader(ch))
	if err != nil || len(res.AST.Children) != 1 {
		return nil, fmt.Errorf("invalid --change %q: %v", ch, err)
	}
	in, err := convert(res.AST.Children[0])
	if err != nil {
		return nil, fmt.Errorf("invalid --change %q: %w", ch, err)
	}
	return in, nil
}
