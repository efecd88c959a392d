package network

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// IPAM's allocations are the endpoints persisted in the state dir, read
// under the store's lock: there is no second record that could disagree
// with them. A network's cursor (the address it gave out last) only says
// where the next search starts.

func ip4u(ip net.IP) uint32 { return binary.BigEndian.Uint32(ip.To4()) }
func u2ip4(u uint32) net.IP {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, u)
	return ip
}

// allocateIP returns want if it is free and inside the network, or else
// the next free address after last (the one this network gave out
// before), wrapping around at the end of its range, as docker's
// sequential allocator does: an address freed a moment ago is given out
// again only once the rest of the range is taken, so peers' ARP caches
// and conntrack entries of a container just gone, or its namespace still
// being torn down by the kernel, never reach its successor. Never the
// network, gateway, broadcast or auxiliary addresses.
func allocateIP(n *Network, used map[string]bool, want string, last net.IP) (net.IP, error) {
	_, ipn, err := net.ParseCIDR(n.Subnet)
	if err != nil {
		return nil, fmt.Errorf("network %s subnet %q: %w", n.Name, n.Subnet, err)
	}
	ones, bits := ipn.Mask.Size()
	first := ip4u(ipn.IP)
	last4 := first | (1<<(bits-ones) - 1)
	aux := map[string]bool{}
	for _, a := range n.AuxAddresses {
		aux[a] = true
	}
	if want != "" {
		ip := net.ParseIP(want).To4()
		switch {
		case ip == nil:
			return nil, fmt.Errorf("--ip %q is not an IPv4 address", want)
		case !ipn.Contains(ip):
			return nil, fmt.Errorf("--ip %s is outside network %s's subnet %s", want, n.Name, n.Subnet)
		case ip4u(ip) == first || ip4u(ip) == last4 || ip.String() == n.Gateway:
			return nil, fmt.Errorf("--ip %s is reserved in network %s", want, n.Name)
		case aux[ip.String()]:
			return nil, fmt.Errorf("--ip %s is an auxiliary address of network %s", want, n.Name)
		case used[ip.String()]:
			return nil, fmt.Errorf("--ip %s is already in use on network %s", want, n.Name)
		}
		return ip, nil
	}
	lo, hi := first+1, last4 // [lo, hi)
	if n.IPRange != "" {
		if _, r, err := net.ParseCIDR(n.IPRange); err == nil {
			ro, _ := r.Mask.Size()
			lo, hi = max(lo, ip4u(r.IP)), min(hi, ip4u(r.IP)|(1<<(bits-ro)-1)+1)
		}
	}
	start := lo
	if l := last.To4(); l != nil && ip4u(l) >= lo && ip4u(l) < hi {
		start = ip4u(l) + 1
	}
	for i := uint32(0); hi > lo && i < hi-lo; i++ {
		ip := u2ip4(lo + (start-lo+i)%(hi-lo))
		if s := ip.String(); s != n.Gateway && !used[s] && !aux[s] {
			return ip, nil
		}
	}
	return nil, fmt.Errorf("network %s: no free address left in %s", n.Name, n.Subnet)
}

// cursorPath holds the address a network gave out last (see allocateIP).
func (m *Manager) cursorPath(network string) string {
	return filepath.Join(m.cfg.StateDir, "networks", network+".next")
}

// lastIP reads a network's allocation cursor; nil if it has none.
func (m *Manager) lastIP(network string) net.IP {
	b, err := os.ReadFile(m.cursorPath(network))
	if err != nil {
		return nil
	}
	return net.ParseIP(strings.TrimSpace(string(b))).To4()
}

// setLastIP moves the cursor. It is a hint, overwritten in place at a
// fixed width (no temporary file, rename or fsync on the run path): a torn
// or lost cursor only moves where the next search starts, while the
// endpoints in the state dir stay the one record of what is allocated.
func (m *Manager) setLastIP(network string, ip net.IP) error {
	f, err := os.OpenFile(m.cursorPath(network), os.O_WRONLY|os.O_CREATE|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(fmt.Appendf(nil, "%-15s\n", ip.To4()), 0)
	return errors.Join(err, f.Close())
}

// subnetPool is where jinn picks subnets from: /24s in 10.88.0.0/13,
// skipped when they overlap a host route or another jinn network.
func (m *Manager) pickSubnet(nets []*Network) (*net.IPNet, error) {
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: 0}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list host routes: %w", err)
	}
	var taken []*net.IPNet
	for _, r := range routes {
		if r.Dst != nil && r.Dst.IP.To4() != nil {
			if ones, _ := r.Dst.Mask.Size(); ones > 0 { // the default route overlaps everything
				taken = append(taken, r.Dst)
			}
		}
	}
	for _, n := range nets {
		if _, ipn, err := net.ParseCIDR(n.Subnet); err == nil {
			taken = append(taken, ipn)
		}
	}
	base := ip4u(net.IPv4(10, 88, 0, 0))
	for i := uint32(0); i < 2048; i++ {
		cand := &net.IPNet{IP: u2ip4(base + i<<8), Mask: net.CIDRMask(24, 32)}
		if !overlapsAny(cand, taken) {
			return cand, nil
		}
	}
	return nil, fmt.Errorf("no free /24 left in 10.88.0.0/13")
}

func overlaps(a, b *net.IPNet) bool { return a.Contains(b.IP) || b.Contains(a.IP) }

func overlapsAny(a *net.IPNet, list []*net.IPNet) bool {
	for _, b := range list {
		if overlaps(a, b) {
			return true
		}
	}
	return false
}

// allocateIP6 returns want (--ip6) if it is free and inside the network,
// or the first free IPv6 address of the network.
func allocateIP6(n *Network, used map[string]bool, want string) (net.IP, error) {
	_, ipn, err := net.ParseCIDR(n.Subnet6)
	if err != nil {
		return nil, fmt.Errorf("network %s IPv6 subnet %q: %w", n.Name, n.Subnet6, err)
	}
	if want != "" {
		ip := net.ParseIP(want)
		switch {
		case ip == nil || ip.To4() != nil:
			return nil, fmt.Errorf("--ip6 %q is not an IPv6 address", want)
		case !ipn.Contains(ip):
			return nil, fmt.Errorf("--ip6 %s is outside network %s's subnet %s", want, n.Name, n.Subnet6)
		case ip.Equal(ipn.IP) || ip.String() == n.Gateway6:
			return nil, fmt.Errorf("--ip6 %s is reserved in network %s", want, n.Name)
		case used[ip.String()]:
			return nil, fmt.Errorf("--ip6 %s is already in use on network %s", want, n.Name)
		}
		return ip, nil
	}
	ones, _ := ipn.Mask.Size()
	size := uint64(1) << min(63, 128-ones)
	for i := uint64(1); i < size-1 && i < 1<<20; i++ {
		ip := nthIP6(ipn, i)
		if s := ip.String(); s != n.Gateway6 && !used[s] {
			return ip, nil
		}
	}
	return nil, fmt.Errorf("network %s: no free IPv6 address left in %s", n.Name, n.Subnet6)
}
