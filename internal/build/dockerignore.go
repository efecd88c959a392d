package build

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
)

// Ignore holds .dockerignore patterns with docker's semantics: a pattern
// matches a path or any of its parent directories, `**` spans directories,
// `!` re-includes, and the last matching pattern wins.
type Ignore struct {
	pats       []ignorePat
	exceptions bool
}

type ignorePat struct {
	re      *regexp.Regexp
	exclude bool // a "!" pattern: matches re-include
	text    string
}

// ParseIgnore reads .dockerignore lines.
func ParseIgnore(r io.Reader) (*Ignore, error) {
	ig := &Ignore{}
	sc := bufio.NewScanner(r)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		excl := false
		if strings.HasPrefix(line, "!") {
			excl = true
			line = strings.TrimSpace(line[1:])
			if line == "" {
				return nil, fmt.Errorf(".dockerignore line %d: illegal exclusion pattern: \"!\"", ln)
			}
		}
		line = path.Clean(line)
		line = strings.TrimLeft(line, "/")
		if line == "" {
			line = "."
		}
		re, err := patternRegexp(line)
		if err != nil {
			return nil, fmt.Errorf(".dockerignore line %d: %q: %w", ln, line, err)
		}
		ig.pats = append(ig.pats, ignorePat{re: re, exclude: excl, text: line})
		ig.exceptions = ig.exceptions || excl
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	return ig, nil
}

// patternRegexp translates a docker ignore pattern into an anchored
// regexp. It goes rune by rune: a byte at a time would turn "é" into two
// Latin-1 characters that match nothing.
func patternRegexp(pat string) (*regexp.Regexp, error) {
	p := []rune(pat)
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '*' && i+1 < len(p) && p[i+1] == '*':
			i++
			if i+1 < len(p) && p[i+1] == '/' {
				// "**/" is zero or more whole directories.
				i++
				b.WriteString("(.*/)?")
			} else {
				b.WriteString(".*")
			}
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '\\':
			if i+1 >= len(p) {
				return nil, fmt.Errorf("trailing backslash")
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(p[i])))
		case c == '[':
			j := i + 1
			for j < len(p) && p[j] != ']' {
				j++
			}
			if j >= len(p) {
				return nil, fmt.Errorf("unterminated character class")
			}
			class := string(p[i+1 : j])
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// Excluded reports whether rel (slash-separated, relative to the context
// root) is left out of the context.
func (ig *Ignore) Excluded(rel string) bool {
	if ig == nil || len(ig.pats) == 0 {
		return false
	}
	rel = strings.TrimLeft(path.Clean("/"+rel), "/")
	if rel == "" {
		return false
	}
	var parents []string
	for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
		parents = append(parents, d)
	}
	matched := false
	for _, p := range ig.pats {
		m := p.re.MatchString(rel)
		for i := 0; !m && i < len(parents); i++ {
			m = p.re.MatchString(parents[i])
		}
		if m {
			matched = !p.exclude
		}
	}
	return matched
}

// MayIncludeUnder reports whether some file below an excluded directory can
// still be re-included by a "!" pattern, so a walk must go into it.
func (ig *Ignore) MayIncludeUnder(dir string) bool {
	return ig != nil && ig.exceptions
}
