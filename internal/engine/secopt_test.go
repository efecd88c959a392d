package engine

import (
	"slices"
	"testing"

	"github.com/jinn-containers/jinn/internal/recipe"
)

func TestCapabilitiesAllAndDrop(t *testing.T) {
	got, err := capabilities(&HostConfig{CapAdd: []string{"ALL"}, CapDrop: []string{"net_admin", "CAP_SYS_ADMIN"}})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(got, "CAP_NET_ADMIN") || slices.Contains(got, "CAP_SYS_ADMIN") || !slices.Contains(got, "CAP_KILL") {
		t.Errorf("--cap-add ALL --cap-drop NET_ADMIN,SYS_ADMIN: %v", got)
	}
	host, err := recipe.HostCaps()
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := capabilities(&HostConfig{Privileged: true, CapDrop: []string{"KILL"}})
	if !slices.Equal(priv, host) {
		t.Errorf("--privileged gives %v, the bounding set holds %v", priv, host)
	}
	if _, err := capabilities(&HostConfig{CapAdd: []string{"ALL"}, CapDrop: []string{"BOGUS"}}); err == nil {
		t.Error("unknown capability in --cap-drop accepted after ALL")
	}
}

func TestParseSecurityOpts(t *testing.T) {
	none, both := hostLSM{}, hostLSM{apparmor: true, selinux: true}
	for _, c := range []struct {
		opt string
		lsm hostLSM
		nnp bool
		ok  bool
	}{
		{"no-new-privileges", none, true, true},
		{"no-new-privileges=true", none, true, true},
		{"no-new-privileges:true", none, true, true},
		{"no-new-privileges=1", none, true, true},
		{"no-new-privileges=false", none, false, true},
		{"no-new-privileges=0", none, false, true},
		{"no-new-privileges=yes", none, false, false},
		{"no-new-privileges=", none, false, false},
		{"seccomp=unconfined", none, false, true},
		{"apparmor=unconfined", none, false, true},
		{"apparmor=docker-default", none, false, false},
		{"apparmor=docker-default", both, false, true},
		{"label=disable", none, false, true},
		{"label=type:svirt_t", none, false, false},
		{"label=type:svirt_t", both, false, true},
		{"systempaths=unconfined", none, false, true},
		{"systempaths=confined", none, false, false},
		{"bogus=1", none, false, false},
		{"bogus", none, false, false},
	} {
		s, err := parseSecurityOpts([]string{c.opt}, c.lsm)
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v, want ok=%v", c.opt, err, c.ok)
			continue
		}
		if err == nil && s.noNewPrivileges != c.nnp {
			t.Errorf("%q: no-new-privileges %v", c.opt, s.noNewPrivileges)
		}
	}
}

func TestSelinuxLabel(t *testing.T) {
	s, err := parseSecurityOpts([]string{"label=type:svirt_t", "label=level:s0:c1,c2"}, hostLSM{selinux: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.selinuxLabel(); got != "system_u:system_r:svirt_t:s0:c1,c2" {
		t.Errorf("label %q", got)
	}
	if s, _ := parseSecurityOpts([]string{"label=disable"}, hostLSM{}); s.selinuxLabel() != "" {
		t.Error("label=disable gave a label")
	}
}
