package network

import "testing"

// TestGateways: the highest gw-priority gives the default route, then the
// network name first in order; internal networks and those without the
// family's address never do.
func TestGateways(t *testing.T) {
	ep := func(net string, prio int, v4, v6 bool) Endpoint {
		e := Endpoint{Network: net, GwPriority: prio}
		if v4 {
			e.IP, e.Gateway = "10.0.0.2", "10.0.0.1"
		}
		if v6 {
			e.IP6, e.Gateway6 = "fd00::2", "fd00::1"
		}
		return e
	}
	internal := func(n string) bool { return n == "int" }
	for _, tc := range []struct {
		name   string
		eps    []Endpoint
		v4, v6 int
	}{
		{"one", []Endpoint{ep("zz", 0, true, false)}, 0, -1},
		{"name order", []Endpoint{ep("zz", 0, true, true), ep("aa", 0, true, false)}, 1, 0},
		{"priority", []Endpoint{ep("aa", 0, true, true), ep("zz", 5, true, true)}, 1, 1},
		{"negative", []Endpoint{ep("zz", 0, true, false), ep("aa", -1, true, false)}, 0, -1},
		{"internal", []Endpoint{ep("zz", 0, true, false), ep("int", 9, true, false)}, 0, -1},
		{"none", nil, -1, -1},
	} {
		if v4, v6 := gateways(tc.eps, internal); v4 != tc.v4 || v6 != tc.v6 {
			t.Errorf("%s: %d %d, want %d %d", tc.name, v4, v6, tc.v4, tc.v6)
		}
	}
}
