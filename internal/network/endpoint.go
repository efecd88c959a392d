package network

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// IfNameOption is docker's endpoint driver option naming the container's
// interface on a network.
const IfNameOption = "com.docker.network.endpoint.ifname"

// EndpointOptions are what a container asks of one network: docker's
// EndpointSettings (network connect's flags, the API's EndpointConfig).
type EndpointOptions struct {
	IP      string   `json:"ip,omitempty"`  // requested IPv4 address; "" allocates one
	IP6     string   `json:"ip6,omitempty"` // requested IPv6 address
	Aliases []string `json:"aliases,omitempty"`
	// LinkLocalIPs are more addresses on the interface (--link-local-ip).
	LinkLocalIPs []string `json:"linkLocalIPs,omitempty"`
	// IfName is the interface's name in the container (driver option
	// com.docker.network.endpoint.ifname); "" is the next ethN.
	IfName string `json:"ifname,omitempty"`
	// GwPriority says which network gives the default route: the highest,
	// then the network name first in order (docker 28's rule).
	GwPriority int `json:"gwPriority,omitempty"`
	// Links are containers on this network known here by another name
	// (network connect --link).
	Links []Link `json:"links,omitempty"`
}

// Link is one --link of a network: the container, and the alias it is
// known by in the linking container (its name too).
type Link struct {
	ContainerID string `json:"id"`
	Name        string `json:"name"`
	Alias       string `json:"alias"`
}

// SetDriverOpt sets one endpoint driver option (--driver-opt k=v).
func (o *EndpointOptions) SetDriverOpt(k, v string) error {
	switch k {
	case IfNameOption:
		if err := checkIfName(v); err != nil {
			return err
		}
		o.IfName = v
		return nil
	}
	return fmt.Errorf("endpoint driver option %q is not supported by the bridge driver (only %s)", k, IfNameOption)
}

// Check refuses addresses and names that are not what they claim to be.
func (o *EndpointOptions) Check() error {
	if o.IP != "" {
		if ip := net.ParseIP(o.IP); ip == nil || ip.To4() == nil {
			return fmt.Errorf("invalid IPv4 address: %s", o.IP)
		}
	}
	if o.IP6 != "" {
		if ip := net.ParseIP(o.IP6); ip == nil || ip.To4() != nil {
			return fmt.Errorf("invalid IPv6 address: %s", o.IP6)
		}
	}
	for _, a := range o.LinkLocalIPs {
		if net.ParseIP(a) == nil {
			return fmt.Errorf("invalid link-local IP address: %s", a)
		}
	}
	if o.IfName != "" {
		return checkIfName(o.IfName)
	}
	return nil
}

// fits refuses addresses the network cannot give, now rather than at
// the container's start (a stopped container's connect).
func (o *EndpointOptions) fits(n *Network) error {
	for _, a := range []struct{ ip, subnet, flag string }{{o.IP, n.Subnet, "--ip"}, {o.IP6, n.Subnet6, "--ip6"}} {
		if a.ip == "" {
			continue
		}
		_, ipn, err := net.ParseCIDR(a.subnet)
		if err != nil {
			return fmt.Errorf("%s %s: network %s has no such address family", a.flag, a.ip, n.Name)
		}
		if !ipn.Contains(net.ParseIP(a.ip)) {
			return fmt.Errorf("%s %s: not in network %s's subnet %s", a.flag, a.ip, n.Name, a.subnet)
		}
	}
	return nil
}

// checkIfName is the kernel's rule for an interface name.
func checkIfName(s string) error {
	if s == "" || len(s) > 15 || s == "." || s == ".." || s == "lo" || strings.ContainsAny(s, "/: \t\n") {
		return fmt.Errorf("invalid interface name %q: 1 to 15 characters, no '/', ':' or spaces, not lo", s)
	}
	return nil
}

// addLinkLocal puts the endpoint's link-local addresses on its interface,
// each as a host address as docker does.
func addLinkLocal(h *netlink.Handle, peer netlink.Link, ep *Endpoint) error {
	for _, s := range ep.LinkLocalIPs {
		ip := net.ParseIP(s)
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		a := &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, Flags: unix.IFA_F_NODAD}
		if err := h.AddrAdd(peer, a); err != nil {
			return fmt.Errorf("link-local address %s on %s: %w", s, ep.IfName, err)
		}
	}
	return nil
}

// gateways picks the endpoints that give the IPv4 and IPv6 default
// routes (-1: none): the highest gw-priority, then the network name first
// in order; internal networks and those without the family never do.
func gateways(eps []Endpoint, internal func(string) bool) (v4, v6 int) {
	order := make([]int, len(eps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(eps[b].GwPriority, eps[a].GwPriority); c != 0 {
			return c
		}
		return cmp.Compare(eps[a].Network, eps[b].Network)
	})
	v4, v6 = -1, -1
	for _, i := range order {
		if internal(eps[i].Network) {
			continue
		}
		if v4 < 0 && eps[i].IP != "" && eps[i].Gateway != "" {
			v4 = i
		}
		if v6 < 0 && eps[i].IP6 != "" && eps[i].Gateway6 != "" {
			v6 = i
		}
	}
	return v4, v6
}

// setRoutes points the container's default routes at the gateways its
// endpoints choose (gateways), replacing those of an earlier choice.
func (m *Manager) setRoutes(c *containerState) error {
	internal := func(name string) bool {
		n, err := m.loadNetwork(name)
		return err != nil || n.Internal
	}
	v4, v6 := gateways(c.Endpoints, internal)
	ns, err := netns.GetFromPath(c.NetnsPath)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", c.NetnsPath, err)
	}
	defer ns.Close()
	h, err := routeHandleAt(ns)
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", c.NetnsPath, err)
	}
	defer h.Close()
	for _, f := range []struct {
		family int
		i      int
	}{{unix.AF_INET, v4}, {unix.AF_INET6, v6}} {
		all, _ := h.RouteList(nil, f.family)
		var routes []netlink.Route
		for _, r := range all {
			if ones, _ := maskOf(r.Dst); ones == 0 {
				routes = append(routes, r)
			}
		}
		if f.i < 0 {
			for _, r := range routes {
				h.RouteDel(&r)
			}
			continue
		}
		ep := c.Endpoints[f.i]
		link, err := h.LinkByName(ep.IfName)
		if err != nil {
			return fmt.Errorf("look up %s: %w", ep.IfName, err)
		}
		gw := net.ParseIP(ep.Gateway).To4()
		if f.family == unix.AF_INET6 {
			gw = net.ParseIP(ep.Gateway6)
		}
		want := netlink.Route{LinkIndex: link.Attrs().Index, Gw: gw, Family: f.family}
		for _, r := range routes {
			if r.LinkIndex != want.LinkIndex || !r.Gw.Equal(gw) {
				h.RouteDel(&r)
			}
		}
		if err := h.RouteReplace(&want); err != nil {
			return fmt.Errorf("default route via %s on %s: %w", gw, ep.IfName, err)
		}
	}
	return nil
}

// linkHosts are the hosts entries of an endpoint's links: each target's
// address on the network, under its alias and its name.
func (m *Manager) linkHosts(network string, links []Link) []string {
	var out []string
	for _, l := range links {
		t, err := m.loadContainer(l.ContainerID)
		if err != nil {
			continue // not running: no address yet
		}
		i := slices.IndexFunc(t.Endpoints, func(e Endpoint) bool { return e.Network == network })
		if i < 0 {
			continue
		}
		for _, ip := range []string{t.Endpoints[i].IP, t.Endpoints[i].IP6} {
			if ip == "" {
				continue
			}
			out = append(out, l.Alias+":"+ip)
			if l.Name != "" && l.Name != l.Alias {
				out = append(out, l.Name+":"+ip)
			}
		}
	}
	return out
}

// maskOf is a route destination's prefix length (0 for a default route,
// whose destination netlink may leave nil).
func maskOf(dst *net.IPNet) (int, int) {
	if dst == nil {
		return 0, 0
	}
	return dst.Mask.Size()
}
