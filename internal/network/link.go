package network

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// ensureBridge makes n's bridge with the gateway address, up, and the
// sysctls that NAT to published ports needs. The bridge's alias names the
// store that owns it (owner), so `ip link` and leak checks can tell whose
// bridge a jbr-* is.
func ensureBridge(n *Network, owner string) error {
	// One socket for all the requests: the package's functions open one
	// per request.
	host, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	defer host.Close()
	br, err := host.LinkByName(n.Bridge)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if !errors.As(err, &nf) {
			return fmt.Errorf("look up bridge %s: %w", n.Bridge, err)
		}
		la := netlink.NewLinkAttrs()
		la.Name = n.Bridge
		if err := host.LinkAdd(&netlink.Bridge{LinkAttrs: la}); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("create bridge %s: %w", n.Bridge, err)
		}
		if br, err = host.LinkByName(n.Bridge); err != nil {
			return fmt.Errorf("look up bridge %s: %w", n.Bridge, err)
		}
		// An MTU given at creation is not "set by the user" for the
		// kernel, which then moves it with the ports (back to 1500 when
		// the last goes); changed afterwards, it stays.
		if br.Attrs().MTU != n.MTU {
			if err := host.LinkSetMTU(br, n.MTU); err != nil {
				removeBridge(n.Bridge)
				return fmt.Errorf("MTU %d on bridge %s: %w", n.MTU, n.Bridge, err)
			}
		}
		if err := host.LinkSetAlias(br, BridgeAliasPrefix+owner); err != nil {
			removeBridge(n.Bridge)
			return fmt.Errorf("alias of bridge %s: %w", n.Bridge, err)
		}
		// A container may send router advertisements: the host must
		// never take routes from its bridges (accept_ra=1 would, while
		// IPv6 forwarding is off).
		if err := sysctl("net/ipv6/conf/"+n.Bridge+"/accept_ra", "0"); err != nil && !errors.Is(err, os.ErrNotExist) {
			removeBridge(n.Bridge)
			return err
		}
	}
	if _, ok := br.(*netlink.Bridge); !ok {
		return fmt.Errorf("%s exists and is a %s, not a bridge", n.Bridge, br.Type())
	}
	if n.HasIPv4() {
		_, ipn, _ := net.ParseCIDR(n.Subnet)
		addr := &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP(n.Gateway).To4(), Mask: ipn.Mask}}
		if err := host.AddrReplace(br, addr); err != nil {
			return fmt.Errorf("address %s on %s: %w", addr, n.Bridge, err)
		}
	}
	if n.Subnet6 != "" {
		// The bridge may have been made with IPv6 off (a sysctl default).
		if err := sysctl("net/ipv6/conf/"+n.Bridge+"/disable_ipv6", "0"); err != nil {
			return err
		}
		_, ipn6, _ := net.ParseCIDR(n.Subnet6)
		a6 := &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP(n.Gateway6), Mask: ipn6.Mask}, Flags: unix.IFA_F_NODAD}
		if err := host.AddrReplace(br, a6); err != nil {
			return fmt.Errorf("address %s on %s: %w", a6, n.Bridge, err)
		}
	}
	if err := host.LinkSetUp(br); err != nil {
		return fmt.Errorf("bring up %s: %w", n.Bridge, err)
	}
	// route_localnet lets DNAT'd connections to 127.0.0.1:hostPort leave
	// through the bridge (their source is masqueraded on the way out); the
	// nftables input chain drops packets from bridges to 127/8 so that
	// containers cannot use it to reach the host's loopback services.
	if !n.HasIPv4() {
		// IPv6 only: no IPv4 to route or to DNAT from 127.0.0.1.
	} else if err := sysctl("net/ipv4/conf/"+n.Bridge+"/route_localnet", "1"); err != nil {
		return err
	}
	if !n.Internal && n.HasIPv4() {
		if err := sysctl("net/ipv4/ip_forward", "1"); err != nil {
			return err
		}
	}
	if !n.Internal && n.Subnet6 != "" {
		// As docker: IPv6 forwarding on (for all interfaces; replies
		// come in on the uplink, so the bridge's own force_forwarding
		// would not do). On an interface with accept_ra=1 this stops
		// router advertisements being taken (accept_ra=2 takes them
		// anyway); see README's Networking. It stays on, as ip_forward.
		if err := sysctl("net/ipv6/conf/all/forwarding", "1"); err != nil {
			return err
		}
	}
	return nil
}

// BridgeAliasPrefix starts the alias of every bridge jinn makes; the
// network state directory of the owning store follows it.
const BridgeAliasPrefix = "jinn:"

func removeBridge(name string) error {
	br, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("look up bridge %s: %w", name, err)
	}
	if err := netlink.LinkDel(br); err != nil {
		return fmt.Errorf("delete bridge %s: %w", name, err)
	}
	return nil
}

func sysctl(key, val string) error {
	p := "/proc/sys/" + key
	if cur, err := os.ReadFile(p); err == nil && string(cur) == val+"\n" {
		return nil
	}
	if err := os.WriteFile(p, []byte(val), 0o644); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", key, val, err)
	}
	return nil
}

// addVeth makes the veth pair: hostName on the bridge, ifName inside the
// namespace with ip/prefix and its link-local addresses, the default
// routes through the gateway when defaultRoute says (a container of one
// network; setRoutes chooses among several), and tc limits. On error
// nothing is left.
func addVeth(n *Network, ep *Endpoint, nsPath string, defaultRoute bool, ingress, egress uint64) (err error) {
	hh, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	defer hh.Close()
	br, err := hh.LinkByName(n.Bridge)
	if err != nil {
		return fmt.Errorf("look up bridge %s: %w", n.Bridge, err)
	}
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", nsPath, err)
	}
	defer ns.Close()

	la := netlink.NewLinkAttrs()
	la.Name = ep.HostVeth
	la.MTU = n.MTU
	la.MasterIndex = br.Attrs().Index
	// One queue each way, asked for at creation (the peer gets the same):
	// without them the kernel allocates a queue per CPU and then cuts the
	// real count to 1 on each registered end, which waits for an RCU grace
	// period (synchronize_net) per end, under the rtnl lock. One queue is
	// what a veth uses by default anyway.
	la.NumTxQueues, la.NumRxQueues = 1, 1
	veth := &netlink.Veth{LinkAttrs: la, PeerName: ep.IfName, PeerNamespace: netlink.NsFd(ns)}
	if err := hh.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth %s in %s: %w", ep.HostVeth, nsPath, err)
	}
	defer func() {
		if err != nil {
			hh.LinkDel(veth) // takes the peer with it
		}
	}()
	host := netlink.Link(veth) // its index filled in by LinkAdd
	if err := hh.LinkSetUp(host); err != nil {
		return fmt.Errorf("bring up %s: %w", ep.HostVeth, err)
	}
	if n.NoICC { // enable_icc=false: isolated ports reach the gateway, not each other
		if err := hh.LinkSetIsolated(host, true); err != nil {
			return fmt.Errorf("isolate %s on %s: %w", ep.HostVeth, n.Bridge, err)
		}
	}
	if ingress > 0 { // into the container: leaves the host side
		if err := setTBF(*hh, host, ingress); err != nil {
			return err
		}
	}

	h, err := routeHandleAt(ns)
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", nsPath, err)
	}
	defer h.Close()
	peer, err := h.LinkByName(ep.IfName)
	if err != nil {
		return fmt.Errorf("look up %s in %s: %w", ep.IfName, nsPath, err)
	}
	if ep.MAC != "" { // --mac-address
		mac, err := net.ParseMAC(ep.MAC)
		if err != nil {
			return fmt.Errorf("invalid MAC address %s: %w", ep.MAC, err)
		}
		if err := h.LinkSetHardwareAddr(peer, mac); err != nil {
			return fmt.Errorf("set MAC %s on %s: %w", ep.MAC, ep.IfName, err)
		}
		ep.MAC = mac.String()
	} else {
		ep.MAC = peer.Attrs().HardwareAddr.String()
	}
	if ep.IP != "" { // not on an IPv6-only network
		addr := &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP(ep.IP).To4(), Mask: net.CIDRMask(ep.Prefix, 32)}}
		if err := h.AddrAdd(peer, addr); err != nil {
			return fmt.Errorf("address %s on %s: %w", addr, ep.IfName, err)
		}
	}
	if ep.IP6 != "" {
		// nodad: the address is the network's to give, and it is usable at once.
		a6 := &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP(ep.IP6), Mask: net.CIDRMask(ep.Prefix6, 128)}, Flags: unix.IFA_F_NODAD}
		if err := h.AddrAdd(peer, a6); err != nil {
			return fmt.Errorf("address %s on %s: %w", a6, ep.IfName, err)
		}
	}
	if err := addLinkLocal(h, peer, ep); err != nil {
		return err
	}
	if err := h.LinkSetUp(peer); err != nil {
		return fmt.Errorf("bring up %s: %w", ep.IfName, err)
	}
	if lo, err := h.LinkByName("lo"); err == nil {
		h.LinkSetUp(lo)
	}
	if defaultRoute && !n.Internal && ep.IP6 != "" {
		r := &netlink.Route{LinkIndex: peer.Attrs().Index, Gw: net.ParseIP(n.Gateway6), Family: unix.AF_INET6}
		if err := h.RouteAdd(r); err != nil {
			return fmt.Errorf("default IPv6 route via %s: %w", n.Gateway6, err)
		}
	}
	if defaultRoute && !n.Internal && ep.IP != "" {
		r := &netlink.Route{LinkIndex: peer.Attrs().Index, Gw: net.ParseIP(n.Gateway).To4()}
		if err := h.RouteAdd(r); err != nil {
			return fmt.Errorf("default route via %s: %w", n.Gateway, err)
		}
	}
	if egress > 0 { // out of the container: leaves the container side
		if err := setTBF(*h, peer, egress); err != nil {
			return err
		}
	}
	return nil
}

// setTBF shapes what leaves link to rate bits/s with a token bucket. The
// bucket holds 10ms of traffic (at least a few full frames) so that short
// transfers measure close to the rate; a fixed queue of 50ms bounds delay.
// Limiting on each side's egress needs neither ifb nor ingress policing:
// the container cannot change its own qdisc without CAP_NET_ADMIN.
func setTBF(h netlink.Handle, link netlink.Link, rate uint64) error {
	bytesPerSec := rate / 8
	burst := uint32(bytesPerSec / 100)
	if min := uint32(4 * (link.Attrs().MTU + 14)); burst < min {
		burst = min
	}
	limit := uint32(bytesPerSec/20) + burst
	q := &netlink.Tbf{
		QdiscAttrs: netlink.QdiscAttrs{LinkIndex: link.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT},
		Rate:       bytesPerSec,
		Limit:      limit,
		Buffer:     netlink.Xmittime(bytesPerSec, burst),
	}
	if err := h.QdiscReplace(q); err != nil {
		return fmt.Errorf("tbf %d bit/s on %s: %w", rate, link.Attrs().Name, err)
	}
	return nil
}

func delLink(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return err
	}
	if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
		return err // ENODEV: gone meanwhile, with its namespace
	}
	return nil
}
