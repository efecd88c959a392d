package engine

import (
	"encoding/json"
	"time"

	"github.com/jinn-containers/jinn/internal/jsonstr"
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
// (docker's "attrs", other key orders, a lone surrogate) goes through
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
	if d.log, rest, ok = jsonstr.AppendUnquoted(d.log[:0], rest); !ok {
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
