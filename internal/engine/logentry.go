package engine

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// logEntry is one line of a json-file log. Log is valid only until the
// next line is decoded (it points into the decoder's buffer).
type logEntry struct {
	Log     []byte
	Stream  string
	rawTime []byte
}

// time parses the entry's time; only --since, --until and -t need it.
func (en *logEntry) time() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, string(en.rawTime))
	return t
}

// logDecoder decodes json-file lines. The lines the monitor writes (and
// docker's without attrs) have one shape, {"log":"...","stream":"...",
// "time":"..."}: those it reads by hand, a line at a time into buffers it
// reuses, because encoding/json's reflection and allocations cost a
// follower more than the monitor spends writing the line. Any other shape
// (docker's "attrs", other key orders, surrogate escapes) goes through
// encoding/json, so both read every line alike.
type logDecoder struct {
	log, time []byte
}

type jsonLogLine struct {
	Log    string `json:"log"`
	Stream string `json:"stream"`
	Time   string `json:"time"`
}

// decode fills en from one line (with or without its newline); false for
// a line that is not a log entry.
func (d *logDecoder) decode(line []byte, en *logEntry) bool {
	if d.fast(line, en) {
		return true
	}
	var j jsonLogLine
	if json.Unmarshal(line, &j) != nil {
		return false
	}
	d.log = append(d.log[:0], j.Log...)
	d.time = append(d.time[:0], j.Time...)
	en.Log, en.rawTime, en.Stream = d.log, d.time, j.Stream
	switch j.Stream { // the constants: no string kept per line
	case "stdout":
		en.Stream = "stdout"
	case "stderr":
		en.Stream = "stderr"
	}
	return true
}

func (d *logDecoder) fast(line []byte, en *logEntry) bool {
	for n := len(line); n > 0 && (line[n-1] == '\n' || line[n-1] == '\r'); n-- {
		line = line[:n-1]
	}
	rest, ok := cutPrefix(line, `{"log":"`)
	if !ok {
		return false
	}
	if d.log, rest, ok = unquote(d.log[:0], rest); !ok {
		return false
	}
	if rest, ok = cutPrefix(rest, `,"stream":"`); !ok {
		return false
	}
	switch {
	case hasPrefix(rest, `stdout"`):
		en.Stream = "stdout"
	case hasPrefix(rest, `stderr"`):
		en.Stream = "stderr"
	default:
		return false
	}
	if rest, ok = cutPrefix(rest[len(`stdout"`):], `,"time":"`); !ok {
		return false
	}
	// A time holds no escapes: it ends at the first quote.
	i := 0
	for i < len(rest) && rest[i] != '"' && rest[i] != '\\' {
		i++
	}
	if i == len(rest) || rest[i] != '"' || string(rest[i+1:]) != "}" {
		return false
	}
	d.time = append(d.time[:0], rest[:i]...)
	en.Log, en.rawTime = d.log, d.time
	return true
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

func cutPrefix(b []byte, p string) ([]byte, bool) {
	if !hasPrefix(b, p) {
		return b, false
	}
	return b[len(p):], true
}

// unquote appends the body of the JSON string s starts with (its opening
// quote already cut) to b and returns the rest after the closing quote.
// It finds quotes and backslashes with bytes.IndexByte and copies the runs
// between them whole. It refuses what it would have to repair as
// encoding/json does (invalid UTF-8, surrogate escapes): the slow path
// handles those. A raw control character, which encoding/json refuses and
// no writer of json-file logs writes, is taken as it is.
func unquote(b, s []byte) ([]byte, []byte, bool) {
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
		if !utf8.Valid(seg) {
			return b, s, false
		}
		b = append(b, seg...)
		if i += len(seg); i == q {
			return b, s[q+1:], true
		}
		// s[i] is a backslash before the closing quote.
		var ok bool
		if b, i, ok = unescape(b, s, i); !ok {
			return b, s, false
		}
	}
}

// unescape appends the escape at s[i] (a backslash) and returns the index
// after it.
func unescape(b, s []byte, i int) ([]byte, int, bool) {
	if i+1 == len(s) {
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
		if i+6 > len(s) {
			return b, i, false
		}
		r := rune(0)
		for _, h := range s[i+2 : i+6] {
			switch {
			case h >= '0' && h <= '9':
				h -= '0'
			case h >= 'a' && h <= 'f':
				h -= 'a' - 10
			case h >= 'A' && h <= 'F':
				h -= 'A' - 10
			default:
				return b, i, false
			}
			r = r<<4 | rune(h)
		}
		if utf8.RuneLen(r) < 0 { // a surrogate
			return b, i, false
		}
		return utf8.AppendRune(b, r), i + 6, true
	default:
		return b, i, false
	}
	return b, i + 2, true
}
