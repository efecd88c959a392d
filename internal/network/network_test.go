package network

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
)

func TestBridgeReachAndFiles(t *testing.T) {
	m := newManager(t)
	a := setup(t, m, Attachment{Name: "alpha", ExtraHosts: []string{"db:10.1.2.3"}})
	b := setup(t, m, Attachment{Name: "beta"})
	listenIn(t, b.ns, ":8080", hello)
	c, err := dialIn(a.ns, net.JoinHostPort(b.res.IP().String(), "8080"), 2*time.Second)
	if err != nil {
		t.Fatalf("alpha cannot reach beta: %v", err)
	}
	if got := readAll(t, c); !strings.Contains(got, "hello "+a.res.IP().String()) {
		t.Fatalf("beta saw %q, want alpha's address %s", got, a.res.IP())
	}

	// Inside: only lo and eth0, with the address, MTU and default route.
	err = withNetlinkIn(a.ns, func(h *netlink.Handle) error {
		links, err := h.LinkList()
		if err != nil {
			return err
		}
		var names []string
		for _, l := range links {
			names = append(names, l.Attrs().Name)
			if l.Attrs().Name == "eth0" && l.Attrs().MTU != 1500 {
				t.Errorf("eth0 MTU %d", l.Attrs().MTU)
			}
		}
		if strings.Join(names, ",") != "lo,eth0" {
			t.Errorf("links inside: %v, want lo,eth0", names)
		}
		routes, err := h.RouteList(nil, netlink.FAMILY_V4)
		if err != nil {
			return err
		}
		var gw bool
		for _, r := range routes {
			gw = gw || (r.Dst == nil || r.Dst.String() == "0.0.0.0/0") && r.Gw.String() == a.res.Endpoints[0].Gateway
		}
		if !gw {
			t.Errorf("no default route via %s: %v", a.res.Endpoints[0].Gateway, routes)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	hosts, _ := os.ReadFile(a.res.HostsPath)
	for _, want := range []string{"127.0.0.1\tlocalhost", "10.1.2.3\tdb", a.res.IP().String() + "\t" + shortID(a.id) + " alpha"} {
		if !strings.Contains(string(hosts), want) {
			t.Errorf("hosts lacks %q:\n%s", want, hosts)
		}
	}
	if hn, _ := os.ReadFile(a.res.HostnamePath); string(hn) != shortID(a.id)+"\n" {
		t.Errorf("hostname %q", hn)
	}
	if rc, _ := os.ReadFile(a.res.ResolvConfPath); strings.Contains(string(rc), "127.0.0.") {
		t.Errorf("resolv.conf points at the host's loopback:\n%s", rc)
	}

	// Teardown of one leaves the other working, and frees its address.
	if err := m.Teardown(context.Background(), a.id); err != nil {
		t.Fatal(err)
	}
	if used, _ := m.usedIPs(DefaultNetwork); used[a.res.IP().String()] || !used[b.res.IP().String()] {
		t.Errorf("allocations after teardown: %v", used)
	}
	if _, err := netlink.LinkByName(a.res.Endpoints[0].HostVeth); err == nil {
		t.Errorf("veth %s left after teardown", a.res.Endpoints[0].HostVeth)
	}
}

func TestIsolationBetweenNetworks(t *testing.T) {
	m := newManager(t)
	ctx := context.Background()
	for _, n := range []string{"red", "blue"} {
		if _, err := m.CreateNetwork(ctx, n, NetworkOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	r1 := setup(t, m, Attachment{Name: "r1", Network: "red"})
	r2 := setup(t, m, Attachment{Name: "r2", Network: "red", IP: ""})
	b1 := setup(t, m, Attachment{Name: "b1", Network: "blue"})
	listenIn(t, r2.ns, ":80", hello)
	listenIn(t, b1.ns, ":80", hello)

	if c, err := dialIn(r1.ns, r2.res.IP().String()+":80", 2*time.Second); err != nil {
		t.Fatalf("same network unreachable: %v", err)
	} else {
		c.Close()
	}
	if c, err := dialIn(r1.ns, b1.res.IP().String()+":80", 500*time.Millisecond); err == nil {
		c.Close()
		t.Fatalf("red reached blue")
	}
	if c, err := dialIn(b1.ns, r2.res.IP().String()+":80", 500*time.Millisecond); err == nil {
		c.Close()
		t.Fatalf("blue reached red")
	}
	if err := m.RemoveNetwork(ctx, "red"); err == nil {
		t.Fatal("removed a network in use")
	}
	// blue's DNS is not red's business.
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var c net.Conn
		err := InNetns(r1.ns, func() (err error) {
			c, err = net.Dial("udp4", b1.res.Endpoints[0].Gateway+":53")
			return err
		})
		return c, err
	}}
	qctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if ips, err := r.LookupIPAddr(qctx, "b1"); err == nil {
		t.Errorf("red resolved b1 through blue's DNS: %v", ips)
	}
	// A published port is reachable from another network, through the host.
	pub := setup(t, m, Attachment{Name: "pub", Network: "blue", Ports: []Port{{ContainerPort: 80, Proto: "tcp"}}})
	listenIn(t, pub.ns, ":80", hello)
	addr := net.JoinHostPort(r1.res.Endpoints[0].Gateway, itoa(pub.res.Ports[0].HostPort))
	if c, err := dialIn(r1.ns, addr, 2*time.Second); err != nil {
		t.Errorf("red cannot reach blue's published port at %s: %v", addr, err)
	} else {
		c.Close()
	}
}

// TestNATOutbound routes from a container to an "outside" namespace the
// test made (never an outside address) and checks the source is masqueraded.
func TestNATOutbound(t *testing.T) {
	m := newManager(t)
	c := setup(t, m, Attachment{Name: "natc"})

	// ext: a namespace behind a veth of the host, addressed in a /30 that
	// collides with nothing on the host.
	ext := newNetns(t)
	nets, _ := m.loadNetworks()
	sub, err := m.pickSubnet(nets)
	if err != nil {
		t.Fatal(err)
	}
	hostIP, extIP := u2ip4(ip4u(sub.IP)+1), u2ip4(ip4u(sub.IP)+2)
	hostSide := "vjx" + randID()[7:15]
	la := netlink.NewLinkAttrs()
	la.Name = hostSide
	ns, _ := os.Open(ext)
	defer ns.Close()
	veth := &netlink.Veth{LinkAttrs: la, PeerName: "ext0", PeerNamespace: netlink.NsFd(ns.Fd())}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlink.LinkDel(veth) })
	hl, _ := netlink.LinkByName(hostSide)
	netlink.AddrAdd(hl, &netlink.Addr{IPNet: &net.IPNet{IP: hostIP, Mask: net.CIDRMask(30, 32)}})
	netlink.LinkSetUp(hl)
	err = withNetlinkIn(ext, func(h *netlink.Handle) error {
		l, err := h.LinkByName("ext0")
		if err != nil {
			return err
		}
		if err := h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: extIP, Mask: net.CIDRMask(30, 32)}}); err != nil {
			return err
		}
		return h.LinkSetUp(l)
	})
	if err != nil {
		t.Fatal(err)
	}
	listenIn(t, ext, ":9000", hello)
	conn, err := dialIn(c.ns, extIP.String()+":9000", 2*time.Second)
	if err != nil {
		t.Fatalf("container cannot reach outside namespace: %v", err)
	}
	got := readAll(t, conn)
	if !strings.Contains(got, "hello "+hostIP.String()+":") {
		t.Fatalf("outside saw %q, want the masqueraded source %s", got, hostIP)
	}

	// From outside, a container is reached through its published port on
	// the host's address, never directly at its own address.
	pub := setup(t, m, Attachment{Name: "pub", Ports: []Port{{ContainerPort: 80, Proto: "tcp"}}})
	listenIn(t, pub.ns, ":80", hello)
	err = withNetlinkIn(ext, func(h *netlink.Handle) error {
		l, _ := h.LinkByName("ext0")
		_, dst, _ := net.ParseCIDR(c.res.Endpoints[0].Gateway + "/24")
		return h.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Dst: dst, Gw: hostIP})
	})
	if err != nil {
		t.Fatal(err)
	}
	if conn, err := dialIn(ext, pub.res.IP().String()+":80", 300*time.Millisecond); err == nil {
		conn.Close()
		t.Error("outside reached a container's address directly")
	}
	conn, err = dialIn(ext, net.JoinHostPort(hostIP.String(), itoa(pub.res.Ports[0].HostPort)), 2*time.Second)
	if err != nil {
		t.Fatalf("outside cannot reach the published port: %v", err)
	}
	readAll(t, conn)
}

func TestPublishedPorts(t *testing.T) {
	m := newManager(t)
	ctx := context.Background()
	web := setup(t, m, Attachment{Name: "web", Ports: []Port{
		{HostIP: "127.0.0.1", ContainerPort: 8080, Proto: "tcp"},
		{ContainerPort: 8080, Proto: "tcp"},
	}})
	client := setup(t, m, Attachment{Name: "client"})
	listenIn(t, web.ns, ":8080", hello)
	if len(web.res.Ports) != 2 || web.res.Ports[0].HostPort == 0 || web.res.Ports[1].HostPort == 0 {
		t.Fatalf("ports not resolved: %+v", web.res.Ports)
	}
	lo := net.JoinHostPort("127.0.0.1", itoa(web.res.Ports[0].HostPort))
	c, err := net.DialTimeout("tcp4", lo, 2*time.Second)
	if err != nil {
		t.Fatalf("host cannot reach %s: %v", lo, err)
	}
	if got := readAll(t, c); !strings.HasPrefix(got, "hello ") {
		t.Fatalf("got %q", got)
	}
	// Hairpin: a container on the bridge reaches the published port
	// through the gateway address.
	gw := net.JoinHostPort(web.res.Endpoints[0].Gateway, itoa(web.res.Ports[1].HostPort))
	c, err = dialIn(client.ns, gw, 2*time.Second)
	if err != nil {
		t.Fatalf("hairpin to %s: %v", gw, err)
	}
	readAll(t, c)
	// The port published only on 127.0.0.1 is not on the gateway address.
	if c, err := dialIn(client.ns, net.JoinHostPort(web.res.Endpoints[0].Gateway, itoa(web.res.Ports[0].HostPort)), 300*time.Millisecond); err == nil {
		c.Close()
		t.Error("127.0.0.1-only port reachable on the gateway address")
	}
	if p, _ := m.Ports(web.id); len(p) != 2 {
		t.Errorf("Ports: %v", p)
	}
	// A second container cannot take the same host port.
	_, err = m.Setup(ctx, Attachment{ContainerID: randID(), NetnsPath: newNetns(t), Ports: []Port{{HostPort: web.res.Ports[0].HostPort, ContainerPort: 1, Proto: "tcp"}}})
	if err == nil || !strings.Contains(err.Error(), "already published") {
		t.Fatalf("duplicate host port: %v", err)
	}

	// Rules vanish with the container.
	if n := countRules(t, m.cfg.Table, "prerouting"); n != 2 {
		t.Errorf("prerouting rules: %d, want 2", n)
	}
	m.Teardown(ctx, web.id)
	if n := countRules(t, m.cfg.Table, "prerouting"); n != 0 {
		t.Errorf("prerouting rules after teardown: %d", n)
	}
	if c, err := net.DialTimeout("tcp4", lo, 300*time.Millisecond); err == nil {
		c.Close()
		t.Error("published port still answers after teardown")
	}
}

func countRules(t *testing.T, table, chain string) int {
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	rules, err := c.GetRules(&nftables.Table{Name: table, Family: nftables.TableFamilyIPv4}, &nftables.Chain{Name: chain})
	if err != nil {
		return 0
	}
	return len(rules)
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDNSNamesAndAliases(t *testing.T) {
	m := newManager(t)
	ctx := context.Background()
	if _, err := m.CreateNetwork(ctx, "app", NetworkOptions{Subnet: ""}); err != nil {
		t.Fatal(err)
	}
	redis := setup(t, m, Attachment{Name: "redis", Network: "app", Aliases: []string{"cache"}})
	cli := setup(t, m, Attachment{Name: "cli", Network: "app"})
	gw := cli.res.Endpoints[0].Gateway
	if rc, _ := os.ReadFile(cli.res.ResolvConfPath); !strings.Contains(string(rc), "nameserver "+gw) {
		t.Fatalf("resolv.conf does not use the embedded DNS %s:\n%s", gw, rc)
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		var c net.Conn
		err := InNetns(cli.ns, func() (err error) {
			c, err = net.DialTimeout("udp4", gw+":53", time.Second)
			return err
		})
		return c, err
	}}
	for _, name := range []string{"redis", "cache", "redis.app", shortID(redis.id)} {
		ips, err := r.LookupIPAddr(ctx, name)
		if err != nil || len(ips) != 1 || !ips[0].IP.Equal(redis.res.IP()) {
			t.Errorf("lookup %s: %v %v, want %s", name, ips, err, redis.res.IP())
		}
	}
	if _, err := r.LookupIPAddr(ctx, "nosuch.app"); err == nil {
		t.Error("nosuch.app resolved")
	}
}

func TestRateLimits(t *testing.T) {
	m := newManager(t)
	const rate = 20_000_000 // bits/s
	sender := setup(t, m, Attachment{Name: "tx", EgressRate: rate})
	receiver := setup(t, m, Attachment{Name: "rx", IngressRate: rate / 2})
	plain := setup(t, m, Attachment{Name: "plain"})
	// egress of sender, measured at plain; ingress of receiver, sent by plain.
	for _, tc := range []struct {
		name     string
		from, to *container
		want     float64
	}{{"egress", sender, plain, rate}, {"ingress", plain, receiver, rate / 2}} {
		t.Run(tc.name, func(t *testing.T) {
			got := measure(t, tc.from, tc.to, int(tc.want/8*1.2)) // ~1.2 s of data
			// tbf counts Ethernet frames; TCP payload is ~1448 of each 1514 bytes.
			goodput := tc.want * 1448 / 1514
			if got < goodput*0.9 || got > goodput*1.1 {
				t.Errorf("measured %.2f Mbit/s, want %.2f ±10%%", got/1e6, goodput/1e6)
			}
			t.Logf("%s limit %.0f Mbit/s: measured goodput %.2f Mbit/s", tc.name, tc.want/1e6, got/1e6)
		})
	}
}

// measure sends n bytes from one namespace to another over TCP and returns
// the receiver's rate in bits/s from the first byte to the last.
func measure(t *testing.T, from, to *container, n int) float64 {
	t.Helper()
	done := make(chan float64, 1)
	l := listenIn(t, to.ns, ":5001", func(c net.Conn) {
		buf := make([]byte, 64<<10)
		var total, first int
		var start time.Time
		for total < n {
			k, err := c.Read(buf)
			if total == 0 && k > 0 {
				start, first = time.Now(), k // the first read only starts the clock
			}
			total += k
			if err != nil {
				break
			}
		}
		done <- float64(total-first) * 8 / time.Since(start).Seconds()
	})
	defer l.Close()
	c, err := dialIn(from.ns, to.res.IP().String()+":5001", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go c.Write(make([]byte, n))
	select {
	case r := <-done:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("transfer timed out")
		return 0
	}
}

func TestConnectDisconnect(t *testing.T) {
	m := newManager(t)
	ctx := context.Background()
	if _, err := m.CreateNetwork(ctx, "extra", NetworkOptions{Subnet: "10.87.250.0/24", Gateway: "10.87.250.254"}); err != nil {
		t.Fatal(err)
	}
	a := setup(t, m, Attachment{Name: "multi"})
	b := setup(t, m, Attachment{Name: "other", Network: "extra", IP: "10.87.250.9"})
	listenIn(t, b.ns, ":80", hello)
	if c, err := dialIn(a.ns, "10.87.250.9:80", 300*time.Millisecond); err == nil {
		c.Close()
		t.Fatal("reached extra before connect")
	}
	res, err := m.Connect(ctx, a.id, "extra", EndpointOptions{Aliases: []string{"m2"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Endpoints) != 2 || res.Endpoints[1].IfName != "eth1" || res.Endpoints[1].IP != "10.87.250.1" {
		t.Fatalf("endpoints after connect: %+v", res.Endpoints)
	}
	c, err := dialIn(a.ns, "10.87.250.9:80", 2*time.Second)
	if err != nil {
		t.Fatalf("after connect: %v", err)
	}
	c.Close()
	// A stop and start keeps the connection, as in docker.
	if err := m.Teardown(ctx, a.id); err != nil {
		t.Fatal(err)
	}
	if res, err = m.Setup(ctx, Attachment{ContainerID: a.id, Name: "multi", NetnsPath: a.ns}); err != nil {
		t.Fatal(err)
	}
	if len(res.Endpoints) != 2 || res.Endpoints[1].Network != "extra" {
		t.Fatalf("after restart: %+v", res.Endpoints)
	}
	if _, err := m.Disconnect(ctx, a.id, "extra"); err != nil {
		t.Fatal(err)
	}
	if c, err := dialIn(a.ns, "10.87.250.9:80", 300*time.Millisecond); err == nil {
		c.Close()
		t.Fatal("reached extra after disconnect")
	}
	if _, err := m.Disconnect(ctx, a.id, "extra"); err == nil {
		t.Fatal("disconnected twice")
	}
	m.Teardown(ctx, a.id)
	if res, err = m.Setup(ctx, Attachment{ContainerID: a.id, NetnsPath: a.ns}); err != nil || len(res.Endpoints) != 1 {
		t.Fatalf("after disconnect and restart: %+v %v", res, err)
	}
	if err := m.Forget(a.id); err != nil {
		t.Fatal(err)
	}
}

// TestCrashCleanup: the namespace is gone (its container crashed and the
// engine removed it) before Teardown; Teardown still removes everything.
func TestCrashCleanup(t *testing.T) {
	m := newManager(t)
	id := randID()
	ns := filepath.Join(t.TempDir(), "ns")
	if err := NewNetns(ns); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Setup(context.Background(), Attachment{ContainerID: id, NetnsPath: ns, Ports: []Port{{ContainerPort: 80, Proto: "udp"}}}); err != nil {
		t.Fatal(err)
	}
	if err := RemoveNetns(ns); err != nil {
		t.Fatal(err)
	}
	if err := m.Teardown(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if err := m.Teardown(context.Background(), id); err != nil {
		t.Fatalf("second teardown: %v", err)
	}
	// The default bridge and its rules stay up until pruned.
	if _, err := m.PruneNetworks(context.Background()); err != nil {
		t.Fatal(err)
	}
	assertClean(t, m)
}

func TestBadInputLeavesNothing(t *testing.T) {
	m := newManager(t)
	ctx := context.Background()
	for _, a := range []Attachment{
		{Network: "nosuch"},
		{IP: "192.0.2.99"},
		{ExtraHosts: []string{"bad"}},
		{DNS: []string{"not-an-ip"}},
	} {
		a.ContainerID, a.NetnsPath = randID(), newNetns(t)
		if _, err := m.Setup(ctx, a); err == nil {
			t.Errorf("setup %+v accepted", a)
		}
	}
	if _, err := m.CreateNetwork(ctx, "bad", NetworkOptions{Subnet: "10.0.0.0/33"}); err == nil {
		t.Error("bad subnet accepted")
	}
	if _, err := m.CreateNetwork(ctx, "host", NetworkOptions{}); err == nil {
		t.Error("reserved name accepted")
	}
	// The default bridge and its rules stay up until pruned.
	if _, err := m.PruneNetworks(ctx); err != nil {
		t.Fatal(err)
	}
	assertClean(t, m)
}

// TestConcurrentSetup: IPAM under the lock gives concurrent setups, from
// separate Managers as separate jinn processes would be, distinct addresses.
func TestConcurrentSetup(t *testing.T) {
	m := newManager(t)
	const n = 8
	nss := make([]string, n)
	for i := range nss {
		nss[i] = newNetns(t)
	}
	ips := make(chan string, n)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(ns string) {
			other, _ := Open(m.cfg)
			res, err := other.Setup(context.Background(), Attachment{ContainerID: randID(), NetnsPath: ns})
			if err != nil {
				errs <- err
				return
			}
			ips <- res.IP().String()
		}(nss[i])
	}
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		select {
		case err := <-errs:
			t.Fatal(err)
		case ip := <-ips:
			if seen[ip] {
				t.Fatalf("address %s given twice", ip)
			}
			seen[ip] = true
		}
	}
}

func TestPublishedUDP(t *testing.T) {
	m := newManager(t)
	c := setup(t, m, Attachment{Name: "dns", Ports: []Port{{HostIP: "127.0.0.1", ContainerPort: 5353, Proto: "udp"}}})
	var pc net.PacketConn
	if err := InNetns(c.ns, func() (err error) { pc, err = net.ListenPacket("udp4", ":5353"); return err }); err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 100)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(append([]byte("echo "), buf[:n]...), from)
		}
	}()
	conn, err := net.Dial("udp4", "127.0.0.1:"+itoa(c.res.Ports[0].HostPort))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	conn.Write([]byte("ping"))
	buf := make([]byte, 100)
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "echo ping" {
		t.Fatalf("udp through 127.0.0.1:%d: %q %v", c.res.Ports[0].HostPort, buf[:n], err)
	}
}

func TestInternalNetwork(t *testing.T) {
	m := newManager(t)
	ctx := context.Background()
	if _, err := m.CreateNetwork(ctx, "sealed", NetworkOptions{Internal: true}); err != nil {
		t.Fatal(err)
	}
	a := setup(t, m, Attachment{Name: "a", Network: "sealed"})
	b := setup(t, m, Attachment{Name: "b", Network: "sealed"})
	listenIn(t, b.ns, ":80", hello)
	c, err := dialIn(a.ns, b.res.IP().String()+":80", 2*time.Second)
	if err != nil {
		t.Fatalf("peers on an internal network: %v", err)
	}
	c.Close()
	// No way out: no default route (checked, not tried: tests send
	// nothing outside), and the host does not forward for it.
	err = withNetlinkIn(a.ns, func(h *netlink.Handle) error {
		routes, err := h.RouteList(nil, netlink.FAMILY_V4)
		for _, r := range routes {
			if r.Dst == nil || r.Dst.String() == "0.0.0.0/0" {
				t.Errorf("internal network has a default route: %+v", r)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if table := countRules(t, m.cfg.Table, "forward"); table < 2 {
		t.Errorf("forward rules for the internal network: %d", table)
	}
}

// TestDefaultBridgeStaysUntilPrune: the default bridge outlives its last
// container (a run --rm would otherwise pay for taking it down and up
// again) and goes with a prune; its firewall rules go with the container.
func TestDefaultBridgeStaysUntilPrune(t *testing.T) {
	m := newManager(t)
	ctx := context.Background()
	id := randID()
	if _, err := m.Setup(ctx, Attachment{ContainerID: id, NetnsPath: newNetns(t)}); err != nil {
		t.Fatal(err)
	}
	if err := m.Teardown(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(m.cfg.DefaultBridge); err != nil {
		t.Fatalf("default bridge gone with its last container: %v", err)
	}
	if c, err := nftables.New(); err == nil {
		tables, _ := c.ListTables()
		for _, tb := range tables {
			if tb.Name == m.cfg.Table {
				t.Errorf("nftables table %s kept without containers", tb.Name)
			}
		}
	}
	removed, err := m.PruneNetworks(ctx)
	if err != nil || len(removed) != 0 {
		t.Fatalf("prune: %v %v", removed, err)
	}
	assertClean(t, m)
}
