// Package units parses the sizes docker's and runc's command lines take.
package units

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseBytes parses a size in bytes as docker takes it: "1024", "512k",
// "64m", "1.5g", "2MB", "32MiB" (binary multiples in every spelling).
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:n-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || f*float64(mult) >= 1<<62 {
		return 0, fmt.Errorf("invalid size: '%s'", s)
	}
	return int64(f * float64(mult)), nil
}
