package units

import "testing"

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"64m": 64 << 20, "1g": 1 << 30, "512k": 512 << 10, "100": 100,
		"1.5m": 3 << 19, "2MB": 2 << 20, "32MiB": 32 << 20, " 4K ": 4 << 10, "1 g": 1 << 30, "2p": 2 << 50,
		"0": 0, "8191p": 8191 << 50} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"lots", "-1m", "", "m", "1e30g", "inf", "Inf", "+Inf", "nan", "NaN", "-0",
		"0x10", "1e3", "9223372036854775808", "99999999999999999999", "8192p", "10000000t", "1..5m", "1.", ".5"} {
		if n, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) accepted as %d", bad, n)
		}
	}
}

func TestParseCPUs(t *testing.T) {
	for in, want := range map[string]int64{"1": 1e9, "1.5": 15e8, "0.01": 1e7, "0": 0, "3/2": 15e8} {
		if got, err := ParseCPUs(in); err != nil || got != want {
			t.Errorf("ParseCPUs(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"NaN", "Inf", "-Inf", "-1", "", "x", "0.0000000001", "1e30"} {
		if n, err := ParseCPUs(bad); err == nil {
			t.Errorf("ParseCPUs(%q) accepted as %d", bad, n)
		}
	}
}
