package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"
)

// maxFormatOutput caps what --format templates print in one command: a
// template is user input, and without a cap `{{pad "" 99999999999 0}}`
// or a range over a split of one pads memory until the OOM killer comes.
const maxFormatOutput = 16 << 20

var errFormatTooLarge = fmt.Errorf("--format output is larger than %d MiB; refused", maxFormatOutput>>20)

// templateFuncs are docker's --format functions, for every command.
var templateFuncs = template.FuncMap{
	"json": func(v any) string {
		b := &bytes.Buffer{}
		enc := json.NewEncoder(b)
		enc.SetEscapeHTML(false)
		enc.Encode(v)
		return strings.TrimSpace(b.String())
	},
	"join":  joinAny,
	"split": strings.Split,
	"title": strings.Title, //nolint:staticcheck // docker's behaviour
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"pad": func(s string, l, r int) (string, error) {
		if l < 0 || r < 0 || l > maxFormatOutput || r > maxFormatOutput || len(s)+l+r > maxFormatOutput {
			return "", fmt.Errorf("pad: widths %d and %d out of range", l, r)
		}
		return strings.Repeat(" ", l) + s + strings.Repeat(" ", r), nil
	},
	"truncate": func(s string, n int) (string, error) {
		if n < 0 {
			return "", errors.New("truncate: negative length")
		}
		if len(s) > n {
			return s[:n], nil
		}
		return s, nil
	},
	"println": func(a ...any) string { return fmt.Sprintln(a...) },
}

// parseFormat parses a --format template with docker's functions.
func parseFormat(name, format string) (*template.Template, error) {
	return template.New(name).Funcs(templateFuncs).Parse(format)
}

// formatBudget is what is left of maxFormatOutput for one command.
type formatBudget struct{ left int }

// cappedBuffer is a buffer that refuses to grow past the budget, so the
// template stops at the write that would exceed it.
type cappedBuffer struct {
	bytes.Buffer
	b *formatBudget
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if len(p) > c.b.left {
		return 0, errFormatTooLarge
	}
	c.b.left -= len(p)
	return c.Buffer.Write(p)
}

func (c *cappedBuffer) WriteString(s string) (int, error) { return c.Write([]byte(s)) }

// render executes t on v within the budget.
func (b *formatBudget) render(t *template.Template, v any) ([]byte, error) {
	buf := &cappedBuffer{b: b}
	if err := t.Execute(buf, v); err != nil {
		if errors.Is(err, errFormatTooLarge) {
			return nil, errFormatTooLarge
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

func newBudget() *formatBudget { return &formatBudget{left: maxFormatOutput} }
