// Package jsonstr escapes JSON strings without encoding/json's reflection:
// for the runtime's state and sync messages (a process that lives a few
// milliseconds) and the monitor's json-file log lines (every line a
// container prints). Both write exactly what encoding/json would.
package jsonstr

import "unicode/utf8"

const hex = "0123456789abcdef"

// Append appends s as a quoted JSON string, as encoding/json writes it
// with SetEscapeHTML(false).
func Append[S ~string | ~[]byte](b []byte, s S) []byte {
	b = append(b, '"')
	return append(AppendBody(b, s, false), '"')
}

// AppendBody appends the escaped body of s without quotes. html escapes
// <, > and & as encoding/json does by default (docker's log lines).
// Invalid UTF-8 becomes U+FFFD.
func AppendBody[S ~string | ~[]byte](b []byte, s S, html bool) []byte {
	for i := 0; i < len(s); {
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
			case c < 0x20 || html && (c == '<' || c == '>' || c == '&'):
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
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
