package clip

import (
	"strings"
	"testing"
)

func TestLineAndQuote(t *testing.T) {
	for _, c := range []struct{ in, line, quote string }{
		{"abc", "abc", `"abc"`},
		{"a\nb", `a\nb`, `"a\nb"`},
		{"\x88", `\x88`, `"\x88"`},
		{"héllo wörld", "héllo wörld", `"héllo wörld"`},
	} {
		if got := Line(c.in); got != c.line {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.line)
		}
		if got := Quote(c.in); got != c.quote {
			t.Errorf("Quote(%q) = %q, want %q", c.in, got, c.quote)
		}
	}
	for _, in := range []string{strings.Repeat("\x88", 1000), strings.Repeat("é", 1000), strings.Repeat("\n", 500)} {
		l, q := Line(in), Quote(in)
		if len(l) > Max || strings.ContainsAny(l, "\n\r") || !strings.HasSuffix(l, "...") {
			t.Errorf("Line of %d bytes: %q", len(in), l)
		}
		if len(q) > Max+2 || strings.ContainsAny(q, "\n\r") || !strings.HasSuffix(q, `..."`) {
			t.Errorf("Quote of %d bytes: %q", len(in), q)
		}
	}
}
