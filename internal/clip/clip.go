// Package clip keeps a value echoed in an error message to one short
// line: users (and fuzzers) pass megabyte flags, line breaks and invalid
// UTF-8, and every error of jinn is one readable line.
package clip

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Max is the longest echo, in bytes, before "..." replaces the rest.
const Max = 80

// Line is s as it may stand in a message: unchanged when it is short and
// printable; otherwise escaped as Go would quote it (line breaks, control
// bytes and invalid UTF-8 become \n, \x88, ...) and clipped to Max bytes.
func Line(s string) string {
	if !printable(s) {
		q := strconv.Quote(s)
		s = q[1 : len(q)-1]
	}
	return cut(s)
}

// Quote is strconv.Quote(s) clipped: `"` + at most Max bytes + `..."`.
func Quote(s string) string {
	q := strconv.Quote(s)
	if len(q) <= Max+2 {
		return q
	}
	return cut(q[1:len(q)-1]) + `"`
}

func cut(s string) string {
	if len(s) <= Max {
		return s
	}
	i := Max - 3
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

func printable(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
