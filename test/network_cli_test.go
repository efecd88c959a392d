package test

import (
	"strings"
	"testing"
)

// TestNetworkCommands: jinn network create/ls/inspect/connect/disconnect/rm/prune.
func TestNetworkCommands(t *testing.T) {
	j := netJinn(t)
	id := strings.TrimSpace(j.ok("network", "create", "--subnet", "10.87.77.0/24", "--gateway", "10.87.77.254", "--internal", "lab"))
	if len(id) != 64 {
		t.Fatalf("create printed %q, want an id", id)
	}
	if _, errs, code := j.run("network", "create", "--subnet", "10.87.77.0/25", "lab2"); code == 0 {
		t.Errorf("overlapping subnet accepted")
	} else if !strings.Contains(errs, "overlaps") {
		t.Errorf("overlap error: %s", errs)
	}
	if out := j.ok("network", "ls"); !strings.Contains(out, "lab") || !strings.Contains(out, "NETWORK ID") {
		t.Errorf("ls:\n%s", out)
	}
	if got := strings.TrimSpace(j.ok("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}}", "lab")); got != "10.87.77.0/24 10.87.77.254 true" {
		t.Errorf("inspect -f: %q", got)
	}
	out := j.ok("network", "inspect", "lab")
	for _, want := range []string{`"Subnet": "10.87.77.0/24"`, `"Gateway": "10.87.77.254"`, `"Internal": true`} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %s:\n%s", want, out)
		}
	}
	j.ok(j.runArgs([]string{"-d", "--name", "box"}, "sleep", "100")...)
	j.ok("network", "connect", "--ip", "10.87.77.9", "lab", "box")
	if out := j.ok("exec", "box", "ip", "-4", "-o", "addr", "show", "eth1"); !strings.Contains(out, "10.87.77.9/24") {
		t.Errorf("after connect, eth1: %s", out)
	}
	if out := j.ok("network", "inspect", "lab"); !strings.Contains(out, "10.87.77.9/24") {
		t.Errorf("inspect does not list box:\n%s", out)
	}
	j.ok("restart", "-t", "0", "box")
	if out := j.ok("exec", "box", "ip", "-4", "-o", "addr", "show", "eth1"); !strings.Contains(out, "10.87.77.9/24") {
		t.Errorf("after restart, eth1: %s", out)
	}
	if _, _, code := j.run("network", "rm", "lab"); code == 0 {
		t.Errorf("removed a network in use")
	}
	j.ok("network", "disconnect", "lab", "box")
	if _, _, code := j.run("exec", "box", "ip", "link", "show", "eth1"); code == 0 {
		t.Errorf("eth1 still there after disconnect")
	}
	j.ok("network", "create", "spare")
	if out := j.ok("network", "prune", "-f"); !strings.Contains(out, "lab") || !strings.Contains(out, "spare") {
		t.Errorf("prune: %s", out)
	}
	if _, _, code := j.run("network", "rm", "bridge"); code == 0 {
		t.Errorf("removed the default network")
	}
	j.ok("rm", "-f", "box")
}

// TestNetworkConnectOptions: run --link-local-ip, and network connect's
// --driver-opt com.docker.network.endpoint.ifname, --gw-priority (the
// highest, then the network name first, gives the default route),
// --link-local-ip, --link and --ip6 (kept for a stopped container's
// start), with one-line refusals of bad values.
func TestNetworkConnectOptions(t *testing.T) {
	j := netJinn(t)
	j.ok("network", "create", "--subnet", "10.87.91.0/24", "zlow")
	j.ok("network", "create", "--subnet", "10.87.92.0/24", "amid")
	j.ok("network", "create", "--subnet", "10.87.93.0/24", "--ipv6", "--subnet", "fd00:87:93::/64", "v6b")
	j.ok("network", "create", "--subnet", "10.87.94.0/24", "zlow2")
	j.ok(j.runArgs([]string{"-d", "--name", "box", "--network", "zlow", "--link-local-ip", "169.254.7.7", "--link-local-ip", "fe80::7"}, "sleep", "100")...)
	if out := j.ok("exec", "box", "ip", "addr", "show", "eth0"); !strings.Contains(out, "169.254.7.7/32") || !strings.Contains(out, "fe80::7/128") {
		t.Errorf("run --link-local-ip: eth0\n%s", out)
	}
	j.ok(j.runArgs([]string{"-d", "--name", "peer", "--network", "amid"}, "sleep", "100")...)
	route := func() string {
		out := j.ok("exec", "box", "ip", "route")
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "default") {
				return strings.Join(strings.Fields(l), " ")
			}
		}
		return "none:\n" + out
	}
	if got := route(); got != "default via 10.87.91.1 dev eth0" {
		t.Errorf("before connect: %s", got)
	}
	j.ok("network", "connect", "--driver-opt", "com.docker.network.endpoint.ifname=lab0", "--gw-priority", "10", "--ip", "10.87.92.50",
		"--link-local-ip", "169.254.8.8", "--link", "peer:pal", "amid", "box")
	if out := j.ok("exec", "box", "ip", "addr", "show", "lab0"); !strings.Contains(out, "10.87.92.50/24") || !strings.Contains(out, "169.254.8.8/32") {
		t.Errorf("connect --driver-opt ifname=lab0 --ip --link-local-ip: lab0\n%s", out)
	}
	if got := route(); got != "default via 10.87.92.1 dev lab0" {
		t.Errorf("connect --gw-priority 10: %s", got)
	}
	if out := j.ok("exec", "box", "ping", "-c", "1", "-W", "2", "pal"); !strings.Contains(out, "10.87.92.2") {
		t.Errorf("connect --link peer:pal: %s", out)
	}
	if got := j.inspect("box", "{{.NetworkSettings.Networks.amid.GwPriority}} {{.NetworkSettings.Networks.amid.IPAMConfig.LinkLocalIPs}}"); got != "10 [169.254.8.8]" {
		t.Errorf("inspect GwPriority, LinkLocalIPs: %q", got)
	}
	j.ok("network", "disconnect", "amid", "box")
	if got := route(); got != "default via 10.87.91.1 dev eth0" {
		t.Errorf("after disconnect: %s", got)
	}
	// Equal priorities: the network whose name sorts first.
	j.ok("network", "connect", "amid", "box")
	if got := route(); got != "default via 10.87.92.1 dev eth1" {
		t.Errorf("connect amid at priority 0 beside zlow: %s", got)
	}
	j.ok("network", "disconnect", "amid", "box")
	j.ok("network", "connect", "--gw-priority", "-1", "amid", "box")
	if got := route(); got != "default via 10.87.91.1 dev eth0" {
		t.Errorf("connect --gw-priority -1: %s", got)
	}
	for _, bad := range [][]string{
		{"--driver-opt", "foo=bar", "v6b", "box"}, {"--driver-opt", "com.docker.network.endpoint.ifname=much-too-long-name", "v6b", "box"},
		{"--driver-opt", "com.docker.network.endpoint.ifname=eth0", "v6b", "box"}, {"--link-local-ip", "bogus", "v6b", "box"},
		{"--link", "nosuch", "v6b", "box"}, {"--ip6", "10.0.0.1", "v6b", "box"},
	} {
		if _, errs, code := j.run(append([]string{"network", "connect"}, bad...)...); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("network connect %v: exit %d %q", bad, code, errs)
		}
	}
	if _, _, code := j.run("exec", "box", "ip", "link", "show", "eth2"); code == 0 {
		t.Errorf("a refused connect left an interface")
	}
	// A stopped container keeps what it asked for until it starts.
	j.ok("stop", "-t", "0", "box")
	for _, bad := range [][]string{{"--ip6", "fd00:1::9", "v6b", "box"}, {"--ip6", "fd00:87:93::9", "zlow2", "box"}, {"--ip", "10.87.90.9", "v6b", "box"}} {
		if _, errs, code := j.run(append([]string{"network", "connect"}, bad...)...); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("network connect %v to a stopped container: exit %d %q", bad, code, errs)
		}
	}
	j.ok("network", "connect", "--ip6", "fd00:87:93::99", "v6b", "box")
	j.ok("start", "box")
	if out := j.ok("exec", "box", "ip", "-6", "addr"); !strings.Contains(out, "fd00:87:93::99/64") {
		t.Errorf("connect --ip6 while stopped, then start:\n%s", out)
	}
	// eth1 is amid again (at -1), eth2 v6b: v6b outranks zlow by name.
	if got := route(); got != "default via 10.87.93.1 dev eth2" {
		t.Errorf("at start, v6b gives the default route: %s", got)
	}
	if _, errs, code := j.run(j.runArgs([]string{"--rm", "--link-local-ip", "bogus"}, "true")...); code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("run --link-local-ip bogus: exit %d %q", code, errs)
	}
	j.ok("rm", "-f", "box", "peer")
}

// TestNetworkCreateConfigOnly: network create --config-only keeps
// addresses for --config-from networks (no bridge, no containers),
// --ipam-opt and --attachable are kept and shown, --ipam-driver and
// --scope take only what jinn has, inspect -v is inspect.
func TestNetworkCreateConfigOnly(t *testing.T) {
	j := netJinn(t)
	j.ok("network", "create", "--config-only", "--subnet", "10.87.95.0/24", "--gateway", "10.87.95.254",
		"--ip-range", "10.87.95.128/25", "--ipam-opt", "foo=bar", "cfgnet")
	j.ok("network", "create", "--config-from", "cfgnet", "--attachable", "--ipam-driver", "default", "--scope", "local", "realnet")
	if got := strings.TrimSpace(j.ok("network", "ls", "--format", "{{.Name}}={{.Driver}}", "--filter", "name=net")); got != "cfgnet=null\nrealnet=bridge" && got != "realnet=bridge\ncfgnet=null" {
		t.Errorf("ls: %q", got)
	}
	f := "{{.ConfigOnly}} {{.ConfigFrom.Network}} {{.Attachable}} {{.IPAM.Options}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}}"
	if got := strings.TrimSpace(j.ok("network", "inspect", "-v", "-f", f, "cfgnet", "realnet")); got != "true  false map[foo:bar] 10.87.95.0/24 10.87.95.254 10.87.95.128/25\nfalse cfgnet true map[foo:bar] 10.87.95.0/24 10.87.95.254 10.87.95.128/25" {
		t.Errorf("inspect:\n%s", got)
	}
	if out := j.ok(j.runArgs([]string{"--rm", "--network", "realnet"}, "ip", "-4", "-o", "addr", "show", "eth0")...); !strings.Contains(out, "10.87.95.128/24") {
		t.Errorf("a container on the --config-from network: %s", out)
	}
	for _, bad := range [][]string{
		{"run", "--rm", "--network", "cfgnet", "busybox", "true"},
		{"network", "create", "--config-from", "cfgnet", "--subnet", "10.87.96.0/24", "x1"},
		{"network", "create", "--config-from", "nosuch", "x2"}, {"network", "create", "--ipam-driver", "dhcp", "x3"},
		{"network", "create", "--scope", "swarm", "x4"}, {"network", "create", "--ipam-opt", "novalue", "x5"},
		{"network", "rm", "cfgnet"}, {"network", "create", "--config-only", "realnet"},
	} {
		if _, errs, code := j.run(bad...); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d %q", bad, code, errs)
		}
	}
	j.ok("network", "rm", "realnet", "cfgnet")
	if out := j.ok("network", "ls", "--format", "{{.Name}}"); strings.Contains(out, "net\n") {
		t.Errorf("left after rm:\n%s", out)
	}
}

// TestNetworkRunSeveral: run takes --network more than once and docker's
// name=…,alias=…,ip=…,gw-priority=…,driver-opt=…,link-local-ip=… form:
// the first is the container's own, the others are joined at its start.
func TestNetworkRunSeveral(t *testing.T) {
	j := netJinn(t)
	j.ok("network", "create", "--subnet", "10.87.101.0/24", "sev2")
	j.ok("network", "create", "--subnet", "10.87.102.0/24", "sev1")
	j.ok(j.runArgs([]string{"-d", "--name", "m", "--network",
		"name=sev2,alias=x,gw-priority=1,driver-opt=com.docker.network.endpoint.ifname=e2,link-local-ip=169.254.3.3,ip=10.87.101.77",
		"--network", "name=sev1,alias=y"}, "sleep", "100")...)
	out := j.ok("exec", "m", "ip", "-o", "-4", "addr")
	for _, want := range []string{"e2    inet 10.87.101.77/24", "e2    inet 169.254.3.3/32", "eth0    inet 10.87.102.2/24"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if out := j.ok("exec", "m", "ip", "route"); !strings.Contains(out, "default via 10.87.101.1 dev e2") {
		t.Errorf("gw-priority=1 on the first network:\n%s", out)
	}
	if got := j.inspect("m", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.Aliases}} {{end}}"); got != "sev1=[y] sev2=[x]" {
		t.Errorf("inspect networks: %q", got)
	}
	j.ok("restart", "-t", "0", "m")
	if out := j.ok("exec", "m", "ip", "-o", "-4", "addr"); !strings.Contains(out, "eth0    inet 10.87.102.") || !strings.Contains(out, "e2    inet 10.87.101.77/24") {
		t.Errorf("after restart:\n%s", out)
	}
	for _, bad := range [][]string{
		{"--network", "none", "--network", "sev1"}, {"--network", "name=sev1,bogus=1"}, {"--network", "sev1", "--network", "nosuch"},
		{"--network", "name=sev1,gw-priority=high"}, {"--network", "alias=x"},
	} {
		if _, errs, code := j.run(j.runArgs(append([]string{"--rm"}, bad...), "true")...); code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("run %v: exit %d %q", bad, code, errs)
		}
	}
	if got := strings.Fields(j.ok("ps", "-aq")); len(got) != 1 {
		t.Errorf("refused runs left containers: %v", got)
	}
	j.ok("rm", "-f", "m")
}
