package cgfs

import (
	"fmt"
	"strconv"
	"strings"
)

// DevNum formats a device number, "*" for a wildcard (nil or -1).
func DevNum(n *int64) string {
	if n == nil || *n < 0 {
		return "*"
	}
	return strconv.FormatInt(*n, 10)
}

// PageSizeName is the kernel's name for a hugepage size in file names:
// 2MB, 1GB, 64KB.
func PageSizeName(b uint64) string {
	switch {
	case b >= 1<<30 && b%(1<<30) == 0:
		return fmt.Sprintf("%dGB", b>>30)
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%dMB", b>>20)
	default:
		return fmt.Sprintf("%dKB", b>>10)
	}
}

// ParsePageSize parses "2MB", "1GB", "64KB" (also "kB").
func ParsePageSize(s string) (uint64, error) {
	for _, u := range []struct {
		suffix string
		mul    uint64
	}{{"KB", 1 << 10}, {"kB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseUint(n, 10, 32)
			if err == nil && v > 0 {
				return v * u.mul, nil
			}
		}
	}
	return 0, fmt.Errorf("%q: not a page size like 2MB or 1GB", s)
}
