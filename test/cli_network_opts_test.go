package test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCLINetworkCreateOpts: network create -o (bridge name, MTU, ICC,
// masquerade), --ip-range, --aux-address; network rm -f.
func TestCLINetworkCreateOpts(t *testing.T) {
	j := netJinn(t)
	br := "jt" + randHex(4)
	j.ok("network", "create", "-o", "com.docker.network.bridge.name="+br, "-o", "com.docker.network.driver.mtu=1400",
		"-o", "com.docker.network.bridge.enable_icc=false", "--subnet", "10.87.90.0/24", "--ip-range", "10.87.90.128/25",
		"--aux-address", "reserved=10.87.90.129", "iso")
	if out, err := exec.Command("ip", "-o", "link", "show", br).Output(); err != nil || !strings.Contains(string(out), "mtu 1400") {
		t.Errorf("bridge %s: %v %s", br, err, out)
	}
	j.ok(j.runArgs([]string{"-d", "--name", "ia", "--network", "iso"}, "sleep", "100")...)
	j.ok(j.runArgs([]string{"-d", "--name", "ib", "--network", "iso"}, "sleep", "100")...)
	ipa := j.inspect("ia", "{{.NetworkSettings.Networks.iso.IPAddress}}")
	ipb := j.inspect("ib", "{{.NetworkSettings.Networks.iso.IPAddress}}")
	if ipa != "10.87.90.128" || ipb != "10.87.90.130" {
		t.Errorf("--ip-range/--aux-address: addresses %s %s, want .128 and .130", ipa, ipb)
	}
	if _, _, code := j.run("exec", "ia", "ping", "-c1", "-W1", ipb); code == 0 {
		t.Errorf("enable_icc=false: ia reaches ib")
	}
	if _, _, code := j.run("exec", "ia", "ping", "-c1", "-W2", "10.87.90.1"); code != 0 {
		t.Errorf("enable_icc=false: the gateway is unreachable")
	}
	if _, errs, code := j.run(j.runArgs([]string{"--rm", "--network", "iso", "--ip", "10.87.90.129"}, "true")...); code != 125 || !strings.Contains(errs, "auxiliary") {
		t.Errorf("--ip of an aux address: exit %d %q", code, errs)
	}
	got := j.ok("network", "inspect", "-f", "{{range .IPAM.Config}}{{.IPRange}} {{.AuxiliaryAddresses.reserved}}{{end}} {{index .Options \"com.docker.network.bridge.enable_icc\"}}", "iso")
	if strings.TrimSpace(got) != "10.87.90.128/25 10.87.90.129 false" {
		t.Errorf("inspect: %q", got)
	}

	j.ok("network", "create", "-o", "com.docker.network.bridge.enable_ip_masquerade=false", "--subnet", "10.87.92.0/24", "nomasq")
	j.ok("network", "create", "--subnet", "10.87.93.0/24", "masq")
	table, _ := netNamesOf(j.root)
	rules, _ := exec.Command("nft", "list", "table", "ip", table).Output()
	if !strings.Contains(string(rules), "ip saddr 10.87.93.0/24 oifname") || strings.Contains(string(rules), "ip saddr 10.87.92.0/24 oifname") {
		t.Errorf("enable_ip_masquerade=false: masquerade rules:\n%s", rules)
	}

	if _, errs, code := j.run("network", "rm", "nosuch"); code == 0 || !strings.Contains(errs, "not found") {
		t.Errorf("network rm of a missing network: exit %d %q", code, errs)
	}
	if out := j.ok("network", "rm", "-f", "nosuch", "masq"); out != "masq\n" {
		t.Errorf("network rm -f: %q", out)
	}
	for _, bad := range [][]string{
		{"-o", "com.docker.network.bridge.colour=red"}, {"-o", "com.docker.network.driver.mtu=9"}, {"-o", "com.docker.network.bridge.enable_icc=maybe"},
		{"-o", "com.docker.network.bridge.name=" + strings.Repeat("x", 16)}, {"-o", "com.docker.network.bridge.name=lo"},
		{"--subnet", "10.87.94.0/24", "--ip-range", "10.87.95.0/25"}, {"--subnet", "10.87.94.0/24", "--aux-address", "x=10.87.95.1"}, {"--aux-address", "noip"},
	} {
		if _, errs, code := j.run(append(append([]string{"network", "create"}, bad...), "badnet")...); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("network create %v: exit %d %q", bad, code, errs)
		}
	}
	if out, _, _ := j.run("network", "ls", "-q", "--filter", "name=badnet"); out != "" {
		t.Errorf("a refused network was made: %q", out)
	}
}
