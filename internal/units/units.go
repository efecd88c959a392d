// Package units parses the sizes and CPU counts docker's and runc's
// command lines take.
package units

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/jinn-containers/jinn/internal/clip"
)

// sizeRE is docker's size syntax: decimal digits with an optional
// fraction, an optional space, a unit and an optional i and b. No signs,
// exponents, hex, NaN or Inf, which strconv.ParseFloat would take.
// Compiled on first use, not at every start of every jinn and
// jinn-runtime process (0.1 ms and 174 allocations).
var sizeRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$`)
})

var multipliers = map[string]float64{"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}

// ParseBytes parses a size in bytes as docker takes it: "1024", "512k",
// "64m", "1.5g", "2MB", "32MiB" (binary multiples in every spelling). A
// size that does not fit in an int64 is an error, never a wrapped or
// "unlimited" value.
func ParseBytes(s string) (int64, error) {
	m := sizeRE().FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("invalid size: '%s'", clip.Line(s))
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("invalid size: '%s'", clip.Line(s))
	}
	f *= multipliers[m[2]]
	// 2^63 is the first float64 that does not fit.
	if f >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size: '%s': larger than %d bytes", clip.Line(s), int64(math.MaxInt64))
	}
	return int64(f), nil
}

// ParseCPUs parses --cpus as docker does: a rational number of CPUs,
// returned in billionths. NaN, Inf, negative and absurd values are errors.
func ParseCPUs(s string) (int64, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 {
		return 0, fmt.Errorf("failed to parse %s as a rational number", clip.Line(s))
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return 0, fmt.Errorf("value is too precise")
	}
	if !nano.Num().IsInt64() {
		return 0, fmt.Errorf("%s CPUs is out of range", clip.Line(s))
	}
	return nano.Num().Int64(), nil
}
