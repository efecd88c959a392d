package test

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jinn-containers/jinn/internal/network"
)

// outsideNet6 is a network namespace of the test's own, linked to the
// host by a veth: the remote peer beyond the host. The host end has
// hostAddr, the namespace's end peerAddr, on a /64 of their own.
type outsideNet6 struct {
	ns, hostAddr, peerAddr string
}

// newOutsideNet6 makes the namespace; prefix is an IPv6 /64's ("fd00:1::")
// or an IPv4 /24's ("10.1.2.").
func newOutsideNet6(t *testing.T, prefix string) *outsideNet6 {
	t.Helper()
	tag := fmt.Sprintf("%05d", os.Getpid()%100000)
	o := &outsideNet6{ns: "jt6out" + tag, hostAddr: prefix + "1", peerAddr: prefix + "2"}
	hostEnd := "vj6h" + tag
	bits, nodad := "/64", "nodad"
	if !strings.Contains(prefix, ":") {
		o.ns, hostEnd, bits, nodad = "jt4out"+tag, "vj4h"+tag, "/24", ""
	}
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", hostEnd).Run()
		exec.Command("ip", "netns", "del", o.ns).Run()
	})
	for _, c := range [][]string{
		{"netns", "add", o.ns},
		{"link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", o.ns},
		strings.Fields("addr add " + o.hostAddr + bits + " dev " + hostEnd + " " + nodad),
		{"link", "set", hostEnd, "up"},
		strings.Fields("-n " + o.ns + " addr add " + o.peerAddr + bits + " dev eth0 " + nodad),
		{"-n", o.ns, "link", "set", "eth0", "up"},
		{"-n", o.ns, "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command("ip", c...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", c, err, out)
		}
	}
	return o
}

func (o *outsideNet6) path() string { return "/run/netns/" + o.ns }

// listen makes a TCP listener on the peer's address, inside the namespace.
func (o *outsideNet6) listen(t *testing.T) net.Listener {
	t.Helper()
	var ln net.Listener
	if err := network.InNetns(o.path(), func() (err error) {
		ln, err = net.Listen("tcp", net.JoinHostPort(o.peerAddr, "0"))
		return err
	}); err != nil {
		t.Fatalf("listen in %s: %v", o.ns, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// serveRemoteAddr answers every connection on the peer's address with the
// address it came from, and returns the port.
func (o *outsideNet6) serveRemoteAddr(t *testing.T) int {
	t.Helper()
	ln := o.listen(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
			fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(host), host)
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// get fetches / from addr, dialled from inside the outside namespace.
func (o *outsideNet6) get(addr string) (string, error) {
	var body string
	err := network.InNetns(o.path(), func() error {
		c, err := net.DialTimeout("tcp6", addr, 3*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		fmt.Fprintf(c, "GET / HTTP/1.0\r\n\r\n")
		b, err := io.ReadAll(c)
		body = string(b)
		return err
	})
	return body, err
}

// keepSysctl restores a host sysctl after the test, if the test changed it.
func keepSysctl(t *testing.T, key string) string {
	t.Helper()
	p := "/proc/sys/" + key
	old, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("no %s: %v", key, err)
	}
	t.Cleanup(func() {
		if cur, _ := os.ReadFile(p); string(cur) != string(old) {
			os.WriteFile(p, old, 0o644)
		}
	})
	return strings.TrimSpace(string(old))
}

// TestNetworkIPv6NAT: a dual-stack network's containers reach a peer
// beyond the host over IPv6 through NAT66 (the peer sees the host's
// address), their ports published on all addresses (-p 80) and on IPv6
// ones (-p [::]::80) answer the peer over IPv6, the rules live in an ip6
// table of jinn's own that goes with the network, and IPv6 forwarding is
// on while the network is (the test puts the host's value back).
func TestNetworkIPv6NAT(t *testing.T) {
	if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil {
		t.Skip("the kernel has no IPv6")
	}
	keepSysctl(t, "net/ipv6/conf/all/forwarding")
	out := newOutsideNet6(t, "fd00:87:e1::")
	port := out.serveRemoteAddr(t)
	j := netJinn(t)
	table, _ := j.netNames()
	j.ok("network", "create", "--ipv6", "--subnet", "10.87.98.0/24", "--subnet", "fd00:87:98::/64", "d6")
	if v, _ := os.ReadFile("/proc/sys/net/ipv6/conf/all/forwarding"); strings.TrimSpace(string(v)) != "1" {
		t.Errorf("IPv6 forwarding is %q with an IPv6 network", v)
	}
	got := j.ok(j.runArgs([]string{"--rm", "--network", "d6"}, "sh", "-c",
		fmt.Sprintf("timeout 5 wget -qO- http://[%s]:%d/", out.peerAddr, port))...)
	if got != out.hostAddr {
		t.Errorf("the peer saw the container as %q, want the host's %s (NAT66)", got, out.hostAddr)
	}

	j.ok(j.runArgs([]string{"-d", "--name", "web6", "--network", "d6", "-p", "80", "-p", "[::]::80"}, "sh", "-c",
		"mkdir /w && echo web6 > /w/index.html && exec httpd -f -p 80 -h /w")...)
	// -p 80 is on 0.0.0.0 and [::] (one host port), -p [::]::80 on [::].
	ports := strings.Fields(j.ok("port", "web6", "80"))
	if len(ports) != 3 || !strings.HasPrefix(ports[0], "0.0.0.0:") || ports[1] != "[::]:"+strings.TrimPrefix(ports[0], "0.0.0.0:") || !strings.HasPrefix(ports[2], "[::]:") {
		t.Fatalf("port web6 80: %q", ports)
	}
	for _, p := range ports {
		_, hp, _ := net.SplitHostPort(p)
		addr := net.JoinHostPort(out.hostAddr, hp)
		var body string
		waitFor(t, 5*time.Second, "web6 at "+addr, func() bool {
			b, err := out.get(addr)
			body = b
			return err == nil && strings.HasSuffix(b, "web6\n")
		})
		if !strings.HasSuffix(body, "web6\n") {
			t.Errorf("published %s from the peer: %q", p, body)
		}
	}
	if got := j.inspect("web6", "{{.NetworkSettings.GlobalIPv6Address}} {{.NetworkSettings.IPv6Gateway}} {{.NetworkSettings.Networks.d6.IPv6Gateway}}"); got != "fd00:87:98::2 fd00:87:98::1 fd00:87:98::1" {
		t.Errorf("inspect IPv6 fields: %q", got)
	}
	want := `true 10.87.98.0/24,10.87.98.1 fd00:87:98::/64,fd00:87:98::1`
	if got := strings.TrimSpace(j.ok("network", "inspect", "-f", "{{.EnableIPv6}}{{range .IPAM.Config}} {{.Subnet}},{{.Gateway}}{{end}}", "d6")); got != want {
		t.Errorf("network inspect:\n got %s\nwant %s", got, want)
	}
	rules, err := exec.Command("nft", "list", "table", "ip6", table).CombinedOutput()
	if err != nil || !strings.Contains(string(rules), "masquerade") || !strings.Contains(string(rules), "dnat to [fd00:87:98::2]:80") {
		t.Errorf("ip6 table %s: %v\n%s", table, err, rules)
	}

	// Bad IPv6 input: one line, nothing made; 125 for what docker's CLI
	// refuses, 1 for what its daemon refuses.
	bridges := func() string { // this store's: their alias names it
		b, _ := exec.Command("ip", "-o", "link", "show", "type", "bridge").Output()
		var mine []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, j.root) {
				mine = append(mine, l)
			}
		}
		return strings.Join(mine, "\n")
	}
	before := bridges()
	for _, bad := range []struct {
		args []string
		code int
	}{
		{[]string{"--ipv6", "--subnet", "fd00:87:98::/64"}, 1}, // overlaps d6
		{[]string{"--ipv6", "--subnet", "fd00:87:99::/64", "--gateway", "10.1.1.1"}, 1},
		{[]string{"--ipv6", "--subnet", "fd00:87:99::/64", "--gateway", "fd00:87:9a::1"}, 1},
		{[]string{"--ipv6", "--subnet", "fd00:87:99::/64", "--ip-range", "fd00:87:99::/120x"}, 1},
		{[]string{"--ipv6", "--subnet", "fd00:87:99::/64", "--subnet", "fd00:87:9a::/64"}, 125},
		{[]string{"--ipv6", "--subnet", "fd00:87:99::/64x"}, 125},
	} {
		if _, errs, code := j.run(append(append([]string{"network", "create"}, bad.args...), "bad6")...); code != bad.code || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("network create %v: exit %d %q, want %d", bad.args, code, errs, bad.code)
		}
	}
	if after := bridges(); after != before {
		t.Errorf("refused networks left bridges:\n%s\nbefore:\n%s", after, before)
	}
	if _, errs, code := j.run(j.runArgs([]string{"--rm", "-p", "[::]:8080:80"}, "true")...); code != 125 || !strings.Contains(errs, "IPv6") {
		t.Errorf("-p [::]:8080:80 on an IPv4 network: exit %d %q", code, errs)
	}

	j.ok("rm", "-f", "web6")
	j.ok("network", "rm", "d6")
	if err := exec.Command("nft", "list", "table", "ip6", table).Run(); err == nil {
		t.Errorf("ip6 table %s left after its network", table)
	}
}

// TestNetworkIPv6Only: --ipv4=false --ipv6 makes a network without IPv4
// (docker 28's IPv6-only networks): containers have only IPv6, find each
// other by name through the network's DNS on its IPv6 gateway, and reach
// beyond the host through NAT66; an IPv4 subnet, port or --ip on it is
// refused.
func TestNetworkIPv6Only(t *testing.T) {
	if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil {
		t.Skip("the kernel has no IPv6")
	}
	keepSysctl(t, "net/ipv6/conf/all/forwarding")
	out := newOutsideNet6(t, "fd00:87:e3::")
	port := out.serveRemoteAddr(t)
	j := netJinn(t)
	j.ok("network", "create", "--ipv4=false", "--ipv6", "--subnet", "fd00:87:89::/64", "only6")
	if got := j.ok("network", "ls", "--filter", "name=only6", "--format", "{{.IPv4}} {{.IPv6}}"); got != "false true\n" {
		t.Errorf("network ls IPv4 IPv6: %q", got)
	}
	want := `false true fd00:87:89::/64,fd00:87:89::1`
	if got := strings.TrimSpace(j.ok("network", "inspect", "-f", "{{.EnableIPv4}} {{.EnableIPv6}}{{range .IPAM.Config}} {{.Subnet}},{{.Gateway}}{{end}}", "only6")); got != want {
		t.Errorf("network inspect:\n got %s\nwant %s", got, want)
	}
	j.ok(j.runArgs([]string{"-d", "--name", "p6", "--network", "only6"}, "sleep", "100")...)
	if got := j.inspect("p6", "{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.GlobalIPv6Address}}|{{.NetworkSettings.IPv6Gateway}}"); got != "|fd00:87:89::2|fd00:87:89::1" {
		t.Errorf("inspect: %q", got)
	}
	got := j.ok(j.runArgs([]string{"--rm", "--network", "only6"}, "sh", "-c", fmt.Sprintf(
		"ip -4 addr show eth0 | grep -c inet; ping -c1 -W2 p6 >/dev/null && echo peer; timeout 5 wget -qO- http://[%s]:%d/", out.peerAddr, port))...)
	if got != "0\npeer\n"+out.hostAddr {
		t.Errorf("IPv6-only container (no IPv4, peer by name, NAT66 egress): %q", got)
	}
	for _, bad := range [][]string{
		{"--ipv4=false", "bad6"},
		{"--ipv4=false", "--ipv6", "--subnet", "10.87.88.0/24", "--subnet", "fd00:87:88::/64", "bad6"},
		{"--ipv4=false", "--ipv6", "--subnet", "fd00:87:88::/64", "--ip-range", "10.87.88.0/25", "bad6"},
	} {
		if _, errs, code := j.run(append([]string{"network", "create"}, bad...)...); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("network create %v: exit %d %q", bad, code, errs)
		}
	}
	// --ip6 picks the address; outside the subnet or taken it is refused.
	if got := j.ok(j.runArgs([]string{"--rm", "--network", "only6", "--ip6", "fd00:87:89::99"}, "sh", "-c", "ip -6 addr show eth0 | grep -o 'fd00:87:89::99/64'")...); got != "fd00:87:89::99/64\n" {
		t.Errorf("run --ip6: %q", got)
	}
	for _, flags := range [][]string{{"-p", "127.0.0.1:8080:80"}, {"--ip", "10.87.89.5"}, {"--ip6", "fd00:87:88::5"}, {"--ip6", "fd00:87:89::2"}, {"--ip6", "10.0.0.1"}} {
		if _, errs, code := j.run(j.runArgs(append([]string{"--rm", "--network", "only6"}, flags...), "true")...); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("run %v on an IPv6-only network: exit %d %q", flags, code, errs)
		}
	}
	j.ok("rm", "-f", "p6")
	j.ok("network", "rm", "only6")
}
