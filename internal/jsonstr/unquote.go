package jsonstr

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// AppendUnquoted appends the value of the JSON string whose body starts s
// (its opening quote already consumed) to b, and returns the rest of s
// after the closing quote. It copies the runs between escapes whole,
// found with bytes.IndexByte: a log follower decodes every line a
// container printed. ok is false where encoding/json would refuse the
// string (a raw control character, a bad escape, no closing quote) or
// repair it (invalid UTF-8, a lone surrogate): decode with encoding/json
// then. Where ok, the value is encoding/json's.
func AppendUnquoted(b, s []byte) (out, rest []byte, ok bool) {
	q := bytes.IndexByte(s, '"')
	for i := 0; ; {
		if q < i {
			if q = bytes.IndexByte(s[i:], '"'); q < 0 {
				return b, s, false
			}
			q += i
		}
		seg := s[i:q]
		if e := bytes.IndexByte(seg, '\\'); e >= 0 {
			seg = seg[:e]
		}
		if hasControl(seg) || !utf8.Valid(seg) {
			return b, s, false
		}
		b = append(b, seg...)
		if i += len(seg); i == q {
			return b, s[q+1:], true
		}
		// s[i] is a backslash before the closing quote.
		if b, i, ok = unescape(b, s, i); !ok {
			return b, s, false
		}
	}
}

// hasControl tells whether s holds a byte below 0x20, 8 bytes at a time
// ("Bit Twiddling Hacks": a byte less than n).
func hasControl(s []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for len(s) >= 8 {
		x := binary.LittleEndian.Uint64(s)
		if (x-lo*0x20)&^x&hi != 0 {
			return true
		}
		s = s[8:]
	}
	for _, c := range s {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// unescape appends the escape at s[i] (a backslash) and returns the index
// after it.
func unescape(b, s []byte, i int) ([]byte, int, bool) {
	if i+1 >= len(s) {
		return b, i, false
	}
	switch e := s[i+1]; e {
	case 'n':
		b = append(b, '\n')
	case 'r':
		b = append(b, '\r')
	case 't':
		b = append(b, '\t')
	case '"', '\\', '/':
		b = append(b, e)
	case 'b':
		b = append(b, '\b')
	case 'f':
		b = append(b, '\f')
	case 'u':
		r, ok := hex4(s, i+2)
		if !ok {
			return b, i, false
		}
		i += 6
		if utf16.IsSurrogate(r) {
			// Only a pair is a character; a lone half encoding/json
			// repairs.
			r2, ok := rune(0), i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u'
			if ok {
				r2, ok = hex4(s, i+2)
			}
			if r = utf16.DecodeRune(r, r2); !ok || r == utf8.RuneError {
				return b, i, false
			}
			i += 6
		}
		return utf8.AppendRune(b, r), i, true
	default:
		return b, i, false
	}
	return b, i + 2, true
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	r := rune(0)
	for _, h := range s[i : i+4] {
		switch {
		case h >= '0' && h <= '9':
			h -= '0'
		case h >= 'a' && h <= 'f':
			h -= 'a' - 10
		case h >= 'A' && h <= 'F':
			h -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(h)
	}
	return r, true
}
