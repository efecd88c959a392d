package jsonstr

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestMatchesEncodingJSON: both rules write byte for byte what
// encoding/json writes, with and without HTML escaping.
func TestMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "nl\ncr\rtab\t", "\x00\x01\x1f\x7f", "bs\bff\f", "<a>&b",
		"é ü 日本", "\u2028\u2029", "bad\xffutf8\xc3", "emoji 🎉"} {
		for _, html := range []bool{false, true} {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(html)
			enc.Encode(s)
			want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
			got := append(append([]byte{'"'}, AppendBody(nil, []byte(s), html)...), '"')
			if !bytes.Equal(got, want) {
				t.Errorf("html=%v %q: got %s, want %s", html, s, got, want)
			}
			if !html {
				if g := Append(nil, s); !bytes.Equal(g, want) {
					t.Errorf("Append %q: got %s, want %s", s, g, want)
				}
			}
		}
	}
}

func BenchmarkAppendBodyLogLine(b *testing.B) {
	line := []byte("1234567 000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\n")
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(line)))
	for i := 0; i < b.N; i++ {
		buf = AppendBody(buf[:0], line, true)
	}
}
