// Package jsonstr escapes JSON strings without encoding/json's reflection:
// for the runtime's state and sync messages (a process that lives a few
// milliseconds) and the monitor's json-file log lines (every line a
// container prints). Both write exactly what encoding/json would. It also
// reads them back (AppendUnquoted) for `logs`, which decodes every line.
package jsonstr

import "unicode/utf8"

const hex = "0123456789abcdef"

// Append appends s as a quoted JSON string, as encoding/json writes it
// with SetEscapeHTML(false).
func Append[S ~string | ~[]byte](b []byte, s S) []byte {
	b = append(b, '"')
	return append(AppendBody(b, s, false), '"')
}

// plain marks the bytes written as they are; plainHTML also escapes <, >
// and &.
var plain, plainHTML = func() (t, h [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
		h[c] = t[c] && c != '<' && c != '>' && c != '&'
	}
	return t, h
}()

// AppendBody appends the escaped body of s without quotes. html escapes
// <, > and & as encoding/json does by default (docker's log lines).
// Invalid UTF-8 becomes U+FFFD. Runs of bytes that need no escape are
// copied whole: a container's output is mostly such runs, and the monitor
// spent most of its time here appending it a byte at a time.
func AppendBody[S ~string | ~[]byte](b []byte, s S, html bool) []byte {
	tab := &plain
	if html {
		tab = &plainHTML
	}
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && tab[s[j]] {
			j++
		}
		if j > i {
			b = append(b, s[i:j]...)
			i = j
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b': // encoding/json since Go 1.22
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			default: // control characters, and <, > and & with html
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := decodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

func decodeRune[S ~string | ~[]byte](s S) (rune, int) {
	switch v := any(s).(type) {
	case string:
		return utf8.DecodeRuneInString(v)
	case []byte:
		return utf8.DecodeRune(v)
	}
	return utf8.DecodeRuneInString(string(s))
}
