// Package mountinfo reads /proc/self/mountinfo: the mount points of the
// caller's mount namespace, and the kernel's escapes in them.
package mountinfo

import (
	"fmt"
	"os"
	"strings"
)

// MountPoints lists the mount point of every mount, in mountinfo's order
// (a parent before the mounts on top of it), unescaped.
func MountPoints() ([]string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("list mounts: %w", err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		// id parent maj:min root mountpoint ...
		if f := strings.Fields(l); len(f) >= 5 {
			out = append(out, Unescape(f[4]))
		}
	}
	return out, nil
}

// Unescape undoes mountinfo's octal escapes (\040 for a space).
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + byte(c-'0')
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
