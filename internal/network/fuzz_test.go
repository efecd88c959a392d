package network

import (
	"strings"
	"testing"
)

// FuzzParsePort: any -p value gives ports within range or a one-line
// error, never a panic; seeds in testdata/fuzz/FuzzParsePort.
func FuzzParsePort(f *testing.F) {
	f.Fuzz(func(t *testing.T, spec string) {
		ports, err := ParsePort(spec)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error not one line: %q", err)
			}
			return
		}
		if len(ports) == 0 || len(ports) > 1001 {
			t.Fatalf("%q: %d ports", spec, len(ports))
		}
		for _, p := range ports {
			if p.ContainerPort < 1 || p.ContainerPort > 65535 || p.HostPort < 0 || p.HostPort > 65535 ||
				(p.Proto != "tcp" && p.Proto != "udp") {
				t.Fatalf("%q: bad port %+v", spec, p)
			}
		}
	})
}
