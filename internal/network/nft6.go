package network

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// The IPv6 side of dual-stack networks (--ipv6) is a table of the ip6
// family with the IPv4 table's name, built from the same state by the
// same diff (syncTable):
//
//	prerouting/output (nat): published ports to the container's IPv6
//	    address, for connections to the host's own addresses but ::1
//	    (IPv6 has no route_localnet: a packet from ::1 cannot leave lo)
//	postrouting (nat): NAT66, masquerade out of the IPv6 subnet (as
//	    docker does by default), and hairpin
//	forward (filter): as IPv4's: replies and published ports in, no
//	    traffic between bridges, internal networks stay on their bridge
//	input (filter): no other network's containers to this gateway
//
// The table goes with the last dual-stack network. A marker file says
// the table may exist, so that IPv4-only stores never pay a netlink
// transaction for it.

// ruleSet6 is the IPv6 part of rs: dual-stack networks, and the ports of
// containers with an IPv6 address that are published on every address
// (HostIP "") or on an IPv6 one.
func ruleSet6(rs ruleSet, ctrs []*containerState) ruleSet {
	var rs6 ruleSet
	for _, n := range rs.nets {
		if n.Subnet6 != "" {
			rs6.nets = append(rs6.nets, n)
		}
	}
	for _, c := range ctrs {
		if len(c.Endpoints) == 0 || c.Endpoints[0].IP6 == "" {
			continue
		}
		ip6 := net.ParseIP(c.Endpoints[0].IP6)
		for _, p := range c.Ports {
			if h := net.ParseIP(p.HostIP); p.HostIP == "" || h != nil && h.To4() == nil {
				rs6.ports = append(rs6.ports, portRule{p, ip6})
			}
		}
	}
	return rs6
}

func (m *Manager) applyRules6(c *nftables.Conn, rs ruleSet) error {
	marker := filepath.Join(m.cfg.StateDir, "ip6-table")
	if len(rs.nets) == 0 && len(rs.ports) == 0 {
		if _, err := os.Stat(marker); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err := syncTable(c, nftables.TableFamilyIPv6, m.cfg.Table, nil); err != nil {
			return err
		}
		return os.Remove(marker)
	}
	want := desiredRules6(rs)
	if want == nil {
		return fmt.Errorf("nftables ip6 table %s: bad network state", m.cfg.Table)
	}
	// The marker comes first: a crash after it leaves a table that the
	// next sync finds, never one it does not know of.
	if err := writeFileAtomic(marker, nil, 0o644); err != nil {
		return err
	}
	return syncTable(c, nftables.TableFamilyIPv6, m.cfg.Table, want)
}

// desiredRules6 is desiredRules for the ip6 table.
func desiredRules6(rs ruleSet) map[string]map[string][]expr.Any {
	want, add := newRuleMap()
	loopback := &net.IPNet{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)}
	for _, p := range rs.ports {
		var match []expr.Any
		dst := p.HostIP
		if h := net.ParseIP(p.HostIP); h != nil && !h.IsUnspecified() {
			match = ip6Addr(24, &net.IPNet{IP: h, Mask: net.CIDRMask(128, 128)}, expr.CmpOpEq)
		} else {
			match, dst = append(fibDaddrLocal(), ip6Addr(24, loopback, expr.CmpOpNeq)...), "local"
		}
		match = append(match, l4Port(p.Proto, p.HostPort)...)
		key := fmt.Sprintf("dnat %s %s/%d to [%s]:%d", dst, p.Proto, p.HostPort, p.ctrIP, p.ContainerPort)
		add("prerouting", key, match, dnat6(p.ctrIP, p.ContainerPort))
		add("output", key, match, dnat6(p.ctrIP, p.ContainerPort))
	}
	for _, n := range rs.nets {
		_, subnet, err := net.ParseCIDR(n.Subnet6)
		gw := net.ParseIP(n.Gateway6)
		if err != nil || gw == nil {
			return nil
		}
		masq := []expr.Any{&expr.Masq{}}
		br := n.Bridge
		if !n.Internal && !n.NoMasquerade {
			add("postrouting", "masq out "+subnet.String()+" !"+br, ip6Addr(8, subnet, expr.CmpOpEq), ifname(false, br, expr.CmpOpNeq), masq)
		}
		add("postrouting", "masq hairpin "+subnet.String()+" "+br, ifname(false, br, expr.CmpOpEq), ip6Addr(8, subnet, expr.CmpOpEq), ctDNAT(), masq)
		forwardRules(add, n, rs.nets)
		for _, o := range rs.nets {
			if o != n {
				add("input", "no "+o.Bridge+" to gateway "+n.Gateway6, ifname(true, o.Bridge, expr.CmpOpEq), ip6Addr(24, &net.IPNet{IP: gw, Mask: net.CIDRMask(128, 128)}, expr.CmpOpEq), drop())
			}
		}
	}
	return want
}

// ip6Addr matches the IPv6 source (offset 8) or destination (24) in n
// (CmpOpEq) or outside it (CmpOpNeq).
func ip6Addr(offset uint32, n *net.IPNet, op expr.CmpOp) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 16},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 16, Mask: []byte(n.Mask), Xor: make([]byte, 16)},
		&expr.Cmp{Op: op, Register: 1, Data: n.IP.To16().Mask(n.Mask)},
	}
}

func dnat6(ip net.IP, port int) []expr.Any {
	return []expr.Any{
		&expr.Immediate{Register: 1, Data: ip.To16()},
		&expr.Immediate{Register: 2, Data: []byte{byte(port >> 8), byte(port)}},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV6, RegAddrMin: 1, RegProtoMin: 2},
	}
}
