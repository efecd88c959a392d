package jsonstr

import (
	"encoding/json"
	"testing"
)

// TestAppendUnquotedMatchesJSON: where AppendUnquoted takes a string, the
// value is encoding/json's; it declines all that encoding/json refuses
// or repairs, and takes what this package writes.
func TestAppendUnquotedMatchesJSON(t *testing.T) {
	bodies := []string{``, `plain`, `a \"q\" \\ \/ b\tc\nd\re\bf\f`, `\u003cx\u003e\u0026`, `\u00e9\u2028`,
		`h` + "\u00e9" + ` ✓`, `\ud83d\ude00 pair`, `\u12`, `\x`, "raw\x01ctl", "raw\x1fctl at 9", `no end`, `end\`}
	// encoding/json repairs these (U+FFFD): declined.
	repaired := []string{`\ud83d lone`, `\ude00 low`, `\ud83d\u0041`, "bad\xffutf8"}
	for _, body := range append(bodies, repaired...) {
		line := []byte(`"` + body + `"`)
		var want string
		werr := json.Unmarshal(line, &want)
		got, rest, ok := AppendUnquoted([]byte("pre"), line[1:])
		wantOK := werr == nil
		for _, r := range repaired {
			wantOK = wantOK && body != r
		}
		if ok != wantOK || ok && (string(got) != "pre"+want || len(rest) != 0) {
			t.Errorf("%q: took %v %q rest %q; encoding/json %q %v", body, ok, got, rest, want, werr)
		}
	}
	for _, s := range []string{"", "x", "a \"q\" \\ b\t\x00\x1f <x>&y é \u2028 😀 \xff"} {
		enc := append(AppendBody(nil, s, true), `",`...)
		got, rest, ok := AppendUnquoted(nil, enc)
		var want string
		json.Unmarshal(append([]byte{'"'}, enc[:len(enc)-1]...), &want)
		if !ok || string(got) != want || string(rest) != "," {
			t.Errorf("%q: %q %q %v, want %q", s, got, rest, ok, want)
		}
	}
}
