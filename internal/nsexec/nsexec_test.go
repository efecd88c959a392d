package nsexec

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestHeader(t *testing.T) {
	h := Header([]Join{{Type: "network", Path: "/proc/1/ns/net"}, {Type: "user", Path: "/proc/1/ns/user"}},
		map[string][2]int64{"boottime": {10, 5}}, true)
	n := binary.LittleEndian.Uint32(h)
	body := string(h[4:])
	if int(n) != len(body) {
		t.Fatalf("length %d, body %d", n, len(body))
	}
	for _, line := range []string{"network /proc/1/ns/net\n", "user /proc/1/ns/user\n", "offset boottime 10 5\n", "fork\n"} {
		if !strings.Contains(body, line) {
			t.Errorf("header lacks %q:\n%s", line, body)
		}
	}
	if h := Header(nil, nil, false); binary.LittleEndian.Uint32(h) != 0 || len(h) != 4 {
		t.Errorf("empty header %q", h)
	}
}
