package runtime

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The rules every container needs are added after the spec's, unless the
// spec grants them already with no deny after.
func TestAllowedDevices(t *testing.T) {
	deny := specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"}
	spec := func(rules ...specs.LinuxDeviceCgroup) *specs.Spec {
		return &specs.Spec{Linux: &specs.Linux{Resources: &specs.LinuxResources{Devices: rules}}}
	}
	all := allowedDevices(spec(deny))
	if len(all) != 12 || all[0] != deny {
		t.Fatalf("runc's default: %d rules %v", len(all), all)
	}
	// The engine's spec: every needed rule already there.
	if got := allowedDevices(spec(all...)); len(got) != len(all) {
		t.Errorf("engine's spec: %d rules, want %d", len(got), len(all))
	}
	// A later deny takes a grant back: the needed rule goes in again.
	null := devRule("c", 1, 3, "rwm")
	got := allowedDevices(spec(append(all[:len(all):len(all)], specs.LinuxDeviceCgroup{Allow: false, Type: "c", Major: null.Major, Minor: null.Minor, Access: "rwm"})...))
	if len(got) != len(all)+1+11 || devKey(got[len(got)-1]) != devKey(devRule("c", 136, -1, "rwm")) {
		t.Errorf("after a deny: %d rules", len(got))
	}
	if allowedDevices(spec()) != nil {
		t.Errorf("no rules: some added")
	}
}
