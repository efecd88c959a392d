package engine

import (
	"encoding/json"
	"testing"

	"github.com/jinn-containers/jinn/internal/jsonstr"
)

// The hand decoder reads every line as encoding/json does: the monitor's
// lines, docker's (attrs, other orders), and what it must leave to the
// slow path.
func TestLogDecoderMatchesJSON(t *testing.T) {
	texts := []string{"", "hello\n", "a \"q\" \\ /\t\r\n", "<b>&amp;</b>\n", "\x00\x01\x1f\x7f",
		"héllo wörld ✓\n", "\u2028\u2029", "bad \xff\xfe utf8\n", "😀 astral\n", string(make([]byte, 20000))}
	var lines [][]byte
	for _, s := range texts {
		m := []byte(`{"log":"`)
		m = jsonstr.AppendBody(m, s, true)
		m = append(m, `","stream":"stderr","time":"2026-12-06T21:00:00.123456789Z"}`+"\n"...)
		lines = append(lines, m)
		j, _ := json.Marshal(jsonLogLine{Log: s, Stream: "stdout", Time: "2026-12-06T21:00:00Z"})
		lines = append(lines, j)
	}
	lines = append(lines,
		[]byte(`{"log":"x\n","stream":"stdout","attrs":{"a":"b"},"time":"2026-12-06T21:00:00Z"}`),
		[]byte(`{"stream":"stdout","log":"y\u00e9\ud83d\ude00\n","time":"2026-12-06T21:00:00Z"}`),
		[]byte(`{"log":"\ud800 lone","stream":"stdout","time":"2026-12-06T21:00:00Z"}`),
		[]byte(`{"log":"\/\b\f\u0041","stream":"stdout","time":"2026-12-06T21:00:00Z"}`+"\r\n"),
		[]byte(`{"log":"cut`),
		[]byte(`{"log":"raw`+"\x01"+`","stream":"stdout","time":"t"}`),
		[]byte(`not json`),
		[]byte(`{"log":"a","stream":"other","time":"t"}`),
		[]byte(`{"log":"a","stream":"stdout","time":"t"} `),
	)
	var d logDecoder
	for _, line := range lines {
		var want jsonLogLine
		werr := json.Unmarshal(line, &want)
		var en logEntry
		ok := d.decode(line, &en)
		if ok != (werr == nil) {
			t.Errorf("%q: decoded %v, encoding/json: %v", line, ok, werr)
			continue
		}
		if ok && (string(en.Log) != want.Log || en.Stream != want.Stream || string(en.rawTime) != want.Time) {
			t.Errorf("%q: got %q %q %q, want %q %q %q", line, en.Log, en.Stream, en.rawTime, want.Log, want.Stream, want.Time)
		}
	}
	// The monitor's lines take the fast path.
	for _, line := range lines[:2*len(texts)] {
		var en logEntry
		if !d.fast(line, &en) && json.Valid(line) {
			if s := string(line); len(s) < 200 {
				t.Logf("slow path: %s", s)
			}
		}
	}
}

func TestLogTail(t *testing.T) {
	for _, n := range []int{0, 1, 3, 10} {
		tail := &logTail{n: n}
		for i := 0; i < 7; i++ {
			tail.add(&logEntry{Log: []byte{byte('a' + i)}})
		}
		var got string
		tail.each(func(en *logEntry) { got += string(en.Log) })
		want := "abcdefg"[7-min(n, 7):]
		if got != want {
			t.Errorf("tail %d: %q, want %q", n, got, want)
		}
	}
}

func BenchmarkLogDecoder(b *testing.B) {
	line := []byte(`{"log":"1234567 000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\n","stream":"stdout","time":"2026-12-06T21:00:00.123456789Z"}` + "\n")
	var d logDecoder
	var en logEntry
	b.SetBytes(int64(len(line)))
	for i := 0; i < b.N; i++ {
		d.decode(line, &en)
	}
}

func BenchmarkLogDecoderJSON(b *testing.B) {
	line := []byte(`{"log":"1234567 000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\n","stream":"stdout","time":"2026-12-06T21:00:00.123456789Z"}` + "\n")
	b.SetBytes(int64(len(line)))
	for i := 0; i < b.N; i++ {
		var j jsonLogLine
		json.Unmarshal(line, &j)
	}
}
