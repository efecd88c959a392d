package mountinfo

import "testing"

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{`/a\040b`: "/a b", `/x\134y`: `/x\y`, `/plain`: "/plain", `/bad\09x`: `/bad\09x`} {
		if got := Unescape(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestMountPoints(t *testing.T) {
	mps, err := MountPoints()
	if err != nil || len(mps) == 0 || mps[0] == "" {
		t.Fatalf("%v %v", mps, err)
	}
}
