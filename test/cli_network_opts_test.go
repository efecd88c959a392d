package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	// Refused in the network's setup, which an attached --rm run does
	// while its monitor starts: the monitor goes at once (remove used to
	// retry the runtime's kill for 5 s on a container it never made).
	start := time.Now()
	if _, errs, code := j.run(j.runArgs([]string{"--rm", "--network", "iso", "--ip", "10.87.90.129"}, "true")...); code != 125 || !strings.Contains(errs, "auxiliary") {
		t.Errorf("--ip of an aux address: exit %d %q", code, errs)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("refused --ip took %v", d)
	}
	if out := j.ok("ps", "-aq"); len(strings.Fields(out)) != 2 {
		t.Errorf("containers after the refused run: %q, want ia and ib", out)
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

// TestCLIVolumeCreateOpts: volume create -d local -o type=tmpfs and
// -o type=none,o=bind,device=PATH, shared by the containers that use
// them, unmounted (never emptied) when removed.
func TestCLIVolumeCreateOpts(t *testing.T) {
	j := newJinn(t, "")
	j.ok("volume", "create", "-d", "local", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=10m,uid=1000", "tv")
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), []byte("hostdata\n"), 0o644)
	j.ok("volume", "create", "--driver", "local", "--opt", "type=none", "--opt", "o=bind", "--opt", "device="+host, "bv")
	out := j.ok(j.runArgs([]string{"--rm", "-v", "tv:/t", "-v", "bv:/b"}, "sh", "-c", "grep ' /t ' /proc/mounts; stat -c %u /t; cat /b/f; echo new > /b/g; echo kept > /t/x")...)
	if !strings.Contains(out, "tmpfs /t tmpfs") || !strings.Contains(out, "size=10240k") || !strings.Contains(out, "\n1000\nhostdata\n") {
		t.Errorf("tmpfs and bind volumes:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(host, "g")); string(b) != "new\n" {
		t.Errorf("the bind volume's write is not on the host: %q", b)
	}
	if got := j.ok(j.runArgs([]string{"--rm", "-v", "tv:/t"}, "cat", "/t/x")...); got != "kept\n" {
		t.Errorf("the tmpfs volume is not shared: %q", got)
	}
	if got := strings.TrimSpace(j.ok("volume", "inspect", "-f", "{{.Options.type}} {{.Options.device}}", "bv")); got != "none "+host {
		t.Errorf("volume inspect: %q", got)
	}
	j.ok("volume", "rm", "tv", "bv")
	if b, err := os.ReadFile(filepath.Join(host, "f")); err != nil || string(b) != "hostdata\n" {
		t.Errorf("volume rm reached into the bound host directory: %q %v", b, err)
	}
	if mi, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mi), j.root) {
		t.Errorf("a volume mount is left under %s", j.root)
	}
	for _, bad := range [][]string{{"-d", "nfs"}, {"-o", "colour=red"}, {"-o", "type=tmpfs"}, {"-o", "novalue"}} {
		if _, errs, code := j.run(append(append([]string{"volume", "create"}, bad...), "badvol")...); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("volume create %v: exit %d %q", bad, code, errs)
		}
	}
	if _, _, code := j.run("volume", "create", "-d", "nfs", "badvol"); code != 1 {
		t.Errorf("volume create refused by the engine: exit %d, want docker's 1", code)
	}
	if out := j.ok("volume", "ls", "-q"); out != "" {
		t.Errorf("refused volumes were made: %q", out)
	}
}

// TestCLINetworkIPv6: network create --ipv6 with an IPv6 subnet makes a
// dual-stack bridge: containers get both addresses, an IPv6 default
// route via the bridge, hosts entries and AAAA answers from the
// network's DNS.
func TestCLINetworkIPv6(t *testing.T) {
	if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil {
		t.Skip("the kernel has no IPv6")
	}
	keepSysctl(t, "net/ipv6/conf/all/forwarding")
	j := netJinn(t)
	j.ok("network", "create", "--ipv6", "--subnet", "10.87.96.0/24", "--subnet", "fd00:87:96::/64", "dual")
	j.ok(j.runArgs([]string{"-d", "--name", "v6a", "--network", "dual"}, "sleep", "100")...)
	ip6 := j.inspect("v6a", "{{.NetworkSettings.Networks.dual.GlobalIPv6Address}}")
	if ip6 != "fd00:87:96::2" {
		t.Errorf("GlobalIPv6Address %q", ip6)
	}
	out := j.ok(j.runArgs([]string{"--rm", "--network", "dual"}, "sh", "-c",
		"ip -6 route show default; ping -6 -c1 -W2 fd00:87:96::1 >/dev/null && echo gw6; ping -6 -c1 -W2 v6a >/dev/null && echo peer6; ping -c1 -W2 v6a >/dev/null && echo peer4; grep -c fd00:87:96:: /etc/hosts")...)
	if !strings.Contains(out, "default via fd00:87:96::1") || !strings.Contains(out, "gw6\npeer6\npeer4\n1\n") {
		t.Errorf("dual-stack container:\n%s", out)
	}
	got := j.ok("network", "inspect", "-f", "{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}", "dual")
	if strings.TrimSpace(got) != "true 10.87.96.0/24 fd00:87:96::/64" {
		t.Errorf("network inspect: %q", got)
	}
	for _, bad := range [][]string{{"--ipv6"}, {"--subnet", "fd00:87:97::/64"}, {"--ipv6", "--subnet", "fd00:87:96:0:1::/80"},
		{"--ipv6", "--subnet", "fd00:87:98::/48"}, {"--ipv6", "--subnet", "fd00:87:99::/64", "--gateway", "fd00:1::1"}} {
		if _, errs, code := j.run(append(append([]string{"network", "create"}, bad...), "bad6")...); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("network create %v: exit %d %q", bad, code, errs)
		}
	}
}
