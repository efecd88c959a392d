package network

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// The nftables table is derived state: syncRules brings its rules in line
// with the persisted networks and endpoints in one atomic batch, so rules
// appear with Setup, vanish with Teardown or crash cleanup, and can never
// drift from the state. The table is deleted when nothing needs it.
//
// Published ports are DNAT rules, also for connections to 127.0.0.1 (with
// route_localnet on the bridge), not a userland proxy: measured, the proxy
// doubled connect latency and cost throughput, and a daemonless engine
// would need a process per container to run it (BENCHMARKS.md).
//
//	prerouting/output (nat, dstnat): published ports, DNAT to the container
//	postrouting (nat, srcnat): masquerade out of the subnet; masquerade
//	    DNAT'd traffic from 127/8 (host loopback) and from the subnet itself
//	    (hairpin) so replies come back through the host
//	forward (filter): no traffic between jinn bridges but to published
//	    ports; nothing from outside to a container but replies and
//	    published ports; internal networks stay on their bridge
//	input (filter): no new connections from a bridge to 127/8
//	    (route_localnet's guard); none to another network's gateway

type ruleSet struct {
	nets  []*Network
	ports []portRule
}

// portRule is a published port to a container's address: IPv4, or IPv6
// in the ip6 table (nft6.go).
type portRule struct {
	Port
	ctrIP net.IP
}

func (m *Manager) syncRules() error { return m.syncRulesExcept("") }

// syncRulesExcept is syncRules as if the container except (if not "")
// were gone already: its teardown rebuilds the rules while its veths go.
func (m *Manager) syncRulesExcept(except string) error {
	nets, err := m.loadNetworks()
	if err != nil {
		return err
	}
	ctrs, err := m.loadContainers()
	if err != nil {
		return err
	}
	inUse := map[string]bool{}
	var rs ruleSet
	for _, c := range ctrs {
		if c.ID == except {
			continue
		}
		for _, ep := range c.Endpoints {
			inUse[ep.Network] = true
		}
		if len(c.Endpoints) > 0 && c.Endpoints[0].IP != "" {
			for _, p := range c.Ports {
				if ip4 := net.ParseIP(p.HostIP); ip4 == nil || ip4.To4() != nil {
					rs.ports = append(rs.ports, portRule{p, net.ParseIP(c.Endpoints[0].IP).To4()})
				}
			}
		}
	}
	// The default bridge stays up without containers (see gcNetworks),
	// but its firewall rules go with its last container: jinn keeps no
	// rule that nothing uses, and the table goes when it is empty.
	for _, n := range nets {
		if n.Name != DefaultNetwork || inUse[n.Name] {
			rs.nets = append(rs.nets, n)
		}
	}
	rs4 := ruleSet{ports: rs.ports}
	for _, n := range rs.nets {
		if n.HasIPv4() {
			rs4.nets = append(rs4.nets, n)
		}
	}
	c, err := m.nftConn()
	if err != nil {
		return err
	}
	return errors.Join(applyRules(c, m.cfg.Table, rs4), m.applyRules6(c, ruleSet6(rs, ctrs)))
}

// nftConn returns the Manager's one nftables connection, a lasting
// netlink socket that the process's exit closes. Closing a netfilter
// socket makes the kernel finish the cleanup of every nf_tables
// transaction still pending, machine-wide (nft_rcv_nl_event flushes the
// destroy work: an RCU grace period, 12-31 ms measured here); a socket
// per request, as nftables.New gives, paid that on every rule change,
// inside the network lock. Kept open, the work runs on its own.
func (m *Manager) nftConn() (*nftables.Conn, error) {
	m.nftMu.Lock()
	defer m.nftMu.Unlock()
	if m.nft == nil {
		c, err := nftables.New(nftables.AsLasting())
		if err != nil {
			return nil, fmt.Errorf("nftables: %w", err)
		}
		m.nft = c
	}
	return m.nft, nil
}

func applyRules(c *nftables.Conn, table string, rs ruleSet) error {
	if len(rs.nets) == 0 && len(rs.ports) == 0 {
		return syncTable(c, nftables.TableFamilyIPv4, table, nil)
	}
	want := desiredRules(rs)
	if want == nil {
		return fmt.Errorf("nftables table %s: bad network state", table)
	}
	return syncTable(c, nftables.TableFamilyIPv4, table, want)
}

// syncTable makes the table of family hold the rules of want (per chain,
// by key), or deletes it when want is nil.
func syncTable(c *nftables.Conn, family nftables.TableFamily, table string, want map[string]map[string][]expr.Any) error {
	t := &nftables.Table{Name: table, Family: family}
	if want == nil {
		// Add-then-delete makes the delete valid whether or not the
		// table existed; the batch is one transaction.
		c.AddTable(t)
		c.DelTable(t)
		if err := c.Flush(); err != nil {
			return fmt.Errorf("remove nftables table %s: %w", table, err)
		}
		return nil
	}

	// Rules are diffed against the kernel's by a key kept in each rule's
	// user data, so that a Setup only adds: any deletion makes the kernel
	// wait for an RCU grace period (~15 ms), additions do not.
	// Only missing chains are added: re-adding an existing base chain
	// re-registers its hook, which costs as much as a deletion.
	existing := map[string]bool{}
	if all, err := c.ListChainsOfTableFamily(family); err == nil {
		for _, ch := range all {
			if ch.Table.Name == table {
				existing[ch.Name] = true
			}
		}
	}
	c.AddTable(t)
	for _, ch := range chains {
		chain := &nftables.Chain{Name: ch.name, Table: t, Type: ch.typ, Hooknum: ch.hook, Priority: ch.prio}
		if !existing[ch.name] {
			c.AddChain(chain)
		}
		have := map[string]bool{}
		if rules, err := c.GetRules(t, chain); err == nil {
			for _, r := range rules {
				key := string(r.UserData)
				if _, ok := want[ch.name][key]; ok && !have[key] {
					have[key] = true
					continue
				}
				c.DelRule(r)
			}
		}
		for key, exprs := range want[ch.name] {
			if !have[key] {
				c.AddRule(&nftables.Rule{Table: t, Chain: chain, Exprs: exprs, UserData: []byte(key)})
			}
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("write nftables table %s: %w", table, err)
	}
	return nil
}

var chains = []struct {
	name string
	typ  nftables.ChainType
	hook *nftables.ChainHook
	prio *nftables.ChainPriority
}{
	{"prerouting", nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest},
	{"output", nftables.ChainTypeNAT, nftables.ChainHookOutput, nftables.ChainPriorityNATDest},
	{"postrouting", nftables.ChainTypeNAT, nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource},
	{"forward", nftables.ChainTypeFilter, nftables.ChainHookForward, nftables.ChainPriorityFilter},
	{"input", nftables.ChainTypeFilter, nftables.ChainHookInput, nftables.ChainPriorityFilter},
}

// newRuleMap is an empty set of rules per chain and the function that
// adds one rule, made of exprs, by its key.
func newRuleMap() (map[string]map[string][]expr.Any, func(chain, key string, exprs ...[]expr.Any)) {
	want := map[string]map[string][]expr.Any{}
	for _, ch := range chains {
		want[ch.name] = map[string][]expr.Any{}
	}
	return want, func(chain, key string, exprs ...[]expr.Any) {
		var all []expr.Any
		for _, e := range exprs {
			all = append(all, e...)
		}
		want[chain][key] = all
	}
}

// desiredRules returns, per chain, the rules rs needs by their key. The
// key spells out what the rule does, so equal keys mean equal rules.
func desiredRules(rs ruleSet) map[string]map[string][]expr.Any {
	want, add := newRuleMap()
	loopback := &net.IPNet{IP: net.IPv4(127, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)}

	for _, p := range rs.ports {
		var match []expr.Any
		dst := p.HostIP
		if p.HostIP != "" {
			match = ipAddr(16, &net.IPNet{IP: net.ParseIP(p.HostIP).To4(), Mask: net.CIDRMask(32, 32)})
		} else {
			match, dst = fibDaddrLocal(), "local"
		}
		match = append(match, l4Port(p.Proto, p.HostPort)...)
		key := fmt.Sprintf("dnat %s %s/%d to %s:%d", dst, p.Proto, p.HostPort, p.ctrIP, p.ContainerPort)
		add("prerouting", key, match, dnat(p.ctrIP, p.ContainerPort))
		add("output", key, match, dnat(p.ctrIP, p.ContainerPort))
	}
	for _, n := range rs.nets {
		_, subnet, err := net.ParseCIDR(n.Subnet)
		if err != nil {
			return nil
		}
		gw := &net.IPNet{IP: net.ParseIP(n.Gateway).To4(), Mask: net.CIDRMask(32, 32)}
		masq := []expr.Any{&expr.Masq{}}
		br := n.Bridge
		if !n.Internal && !n.NoMasquerade {
			add("postrouting", "masq out "+subnet.String()+" !"+br, ipAddr(12, subnet), ifname(false, br, expr.CmpOpNeq), masq)
		}
		forwardRules(add, n, rs.nets)
		add("postrouting", "masq loopback to "+br, ifname(false, br, expr.CmpOpEq), ipAddr(12, loopback), masq)
		add("postrouting", "masq hairpin "+subnet.String()+" "+br, ifname(false, br, expr.CmpOpEq), ipAddr(12, subnet), ctDNAT(), masq)
		add("input", "no new to loopback from "+br, ifname(true, br, expr.CmpOpEq), ipAddr(16, loopback), ctNotEstablished(), drop())
		for _, o := range rs.nets {
			if o != n {
				// Nor may another network's containers talk to this one's
				// gateway (its DNS server would tell them names and addresses).
				add("input", "no "+o.Bridge+" to gateway "+n.Gateway, ifname(true, o.Bridge, expr.CmpOpEq), ipAddr(16, gw), drop())
			}
		}
	}
	return want
}

// forwardRules are the forward chain's rules of network n, the same in
// both families: from outside, containers are reached only through
// published ports or as replies (forwarding must not route to them
// directly); an internal network stays on its bridge; no traffic from
// another network but to published ports (DNAT'd, as in docker).
func forwardRules(add func(chain, key string, exprs ...[]expr.Any), n *Network, nets []*Network) {
	br := n.Bridge
	if !n.Internal {
		add("forward", "inbound only replies or dnat to "+br, ifname(false, br, expr.CmpOpEq), ifname(true, br, expr.CmpOpNeq), ctNotEstablished(), ctNotDNAT(), drop())
	} else {
		add("forward", "internal out "+br, ifname(true, br, expr.CmpOpEq), ifname(false, br, expr.CmpOpNeq), drop())
		add("forward", "internal in "+br, ifname(false, br, expr.CmpOpEq), ifname(true, br, expr.CmpOpNeq), drop())
	}
	for _, o := range nets {
		if o != n {
			add("forward", "isolate "+br+" from "+o.Bridge, ifname(true, br, expr.CmpOpEq), ifname(false, o.Bridge, expr.CmpOpEq), ctNotDNAT(), drop())
		}
	}
}

func ifname(in bool, name string, op expr.CmpOp) []expr.Any {
	key := expr.MetaKeyOIFNAME
	if in {
		key = expr.MetaKeyIIFNAME
	}
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Cmp{Op: op, Register: 1, Data: b},
	}
}

// ipAddr matches the IPv4 source (offset 12) or destination (16) in n.
func ipAddr(offset uint32, n *net.IPNet) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte(n.Mask), Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: n.IP.To4().Mask(n.Mask)},
	}
}

func fibDaddrLocal() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
	}
}

func l4Port(proto string, port int) []expr.Any {
	p := byte(unix.IPPROTO_TCP)
	if proto == "udp" {
		p = unix.IPPROTO_UDP
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{p}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(uint16(port))},
	}
}

func ctDNAT() []expr.Any { return ctStatusDNAT(expr.CmpOpNeq) }

func ctNotDNAT() []expr.Any { return ctStatusDNAT(expr.CmpOpEq) }

// ctStatusDNAT tests the connection's IPS_DST_NAT bit: set (CmpOpNeq 0) or
// clear (CmpOpEq 0).
func ctStatusDNAT(op expr.CmpOp) []expr.Any {
	const ipsDstNat = 1 << 5
	mask := make([]byte, 4)
	binary.NativeEndian.PutUint32(mask, ipsDstNat)
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: op, Register: 1, Data: []byte{0, 0, 0, 0}},
	}
}

// ctNotEstablished matches packets that do not belong to a connection
// the host made: replies to DNAT'd 127.0.0.1 connections pass, a
// container's own attempts to reach the host's loopback do not.
func ctNotEstablished() []expr.Any {
	mask := make([]byte, 4)
	binary.NativeEndian.PutUint32(mask, expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED)
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{0, 0, 0, 0}},
	}
}

func dnat(ip net.IP, port int) []expr.Any {
	return []expr.Any{
		&expr.Immediate{Register: 1, Data: ip.To4()},
		&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(uint16(port))},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2},
	}
}

func drop() []expr.Any { return []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}} }
