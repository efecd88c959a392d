package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
)

// ensureNetwork loads network name (creating the default network's record
// on first use) and makes sure its bridge exists.
func (m *Manager) ensureNetwork(name string) (*Network, error) {
	if _, err := m.loadConfig(name); err == nil {
		return nil, fmt.Errorf("network %s is a config-only network: containers cannot join it", name)
	}
	n, err := m.loadNetwork(name)
	if errors.Is(err, ErrNotFound) && name == DefaultNetwork {
		return m.createWithBridge(DefaultNetwork, NetworkOptions{Subnet: m.cfg.DefaultSubnet})
	}
	if err != nil {
		return nil, err
	}
	if err := ensureBridge(n, m.cfg.StateDir); err != nil {
		return nil, err
	}
	return n, nil
}

// createWithBridge records a new network and makes its bridge under the
// machine-wide lock, so that two stores never pick the same subnet: the
// bridge's route is what the next pickSubnet sees. On error neither is
// left.
func (m *Manager) createWithBridge(name string, opts NetworkOptions) (*Network, error) {
	unlock, err := m.machineLock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	n, err := m.createLocked(name, opts)
	if err != nil {
		return nil, err
	}
	if err := ensureBridge(n, m.cfg.StateDir); err != nil {
		os.Remove(m.netPath(name))
		removeBridge(n.Bridge)
		return nil, err
	}
	return n, nil
}

// CreateNetwork makes a user-defined bridge network with embedded DNS.
func (m *Manager) CreateNetwork(ctx context.Context, name string, opts NetworkOptions) (*Network, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	switch name {
	case DefaultNetwork, "none", "host", "default":
		return nil, fmt.Errorf("network name %q is reserved", name)
	}
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := m.loadConfig(name); err == nil {
		return nil, fmt.Errorf("network %s already exists", name)
	}
	if opts.ConfigOnly {
		if opts.ConfigFrom != "" {
			return nil, errors.New("a configuration network cannot depend on another configuration network")
		}
		if _, err := m.loadNetwork(name); err == nil {
			return nil, fmt.Errorf("network %s already exists", name)
		}
		return m.createConfigOnly(name, opts)
	}
	if opts.ConfigFrom != "" {
		if opts, err = m.fromConfig(opts); err != nil {
			return nil, err
		}
	}
	n, err := m.createWithBridge(name, opts)
	if err != nil {
		return nil, err
	}
	if err := m.syncRules(); err != nil {
		os.Remove(m.netPath(name))
		removeBridge(n.Bridge)
		m.syncRules()
		return nil, err
	}
	return n, nil
}

func (m *Manager) createLocked(name string, opts NetworkOptions) (*Network, error) {
	if _, err := m.loadNetwork(name); err == nil {
		return nil, fmt.Errorf("network %s already exists", name)
	}
	nets, err := m.loadNetworks()
	if err != nil {
		return nil, err
	}
	if opts.NoIPv4 {
		return m.createIPv6Only(name, opts, nets)
	}
	var subnet *net.IPNet
	if opts.Subnet != "" {
		ip, ipn, err := net.ParseCIDR(opts.Subnet)
		if err != nil || ip.To4() == nil {
			return nil, fmt.Errorf("invalid --subnet %q: want an IPv4 CIDR such as 10.99.0.0/24", opts.Subnet)
		}
		if ones, _ := ipn.Mask.Size(); ones > 30 {
			return nil, fmt.Errorf("invalid --subnet %q: too small", opts.Subnet)
		}
		for _, o := range nets {
			if _, on, err := net.ParseCIDR(o.Subnet); err == nil && overlaps(ipn, on) {
				return nil, fmt.Errorf("subnet %s overlaps network %s (%s)", opts.Subnet, o.Name, o.Subnet)
			}
		}
		subnet = ipn
	} else if subnet, err = m.pickSubnet(nets); err != nil {
		return nil, err
	}
	gw := u2ip4(ip4u(subnet.IP) + 1)
	if opts.Gateway != "" {
		gw = net.ParseIP(opts.Gateway).To4()
		if gw == nil || !subnet.Contains(gw) {
			return nil, fmt.Errorf("invalid --gateway %q: must be an IPv4 address in %s", opts.Gateway, subnet)
		}
	}
	id := hashOf(m.cfg.StateDir, name, time.Now().String())
	n := &Network{
		Name: name, ID: id, Driver: "bridge", Subnet: subnet.String(), Gateway: gw.String(),
		Internal: opts.Internal, MTU: opts.MTU, Labels: opts.Labels, Created: time.Now().UTC(),
		DNS: name != DefaultNetwork, Bridge: "jbr-" + id[:11],
		NoICC: opts.NoICC, NoMasquerade: opts.NoMasquerade,
	}
	n.ConfigFrom, n.Attachable, n.IPAMOptions = opts.ConfigFrom, opts.Attachable, opts.IPAMOptions
	if err := checkRanges(n, subnet, opts); err != nil {
		return nil, err
	}
	if err := checkIPv6(n, opts, nets); err != nil {
		return nil, err
	}
	return m.saveNew(n, opts, nets)
}

// createIPv6Only makes the record of a network without IPv4
// (--ipv4=false --ipv6): no IPv4 subnet, ranges or auxiliary addresses.
func (m *Manager) createIPv6Only(name string, opts NetworkOptions, nets []*Network) (*Network, error) {
	switch {
	case !opts.IPv6:
		return nil, errors.New("--ipv4=false needs --ipv6: a network needs IPv4 or IPv6")
	case opts.Subnet != "" || opts.Gateway != "":
		return nil, errors.New("an IPv4 --subnet or --gateway needs IPv4 (--ipv4=false was given)")
	case opts.IPRange != "" || len(opts.AuxAddresses) > 0:
		return nil, errors.New("--ip-range and --aux-address are IPv4 only: not on an IPv6-only network")
	case name == DefaultNetwork:
		return nil, errors.New("the default network has IPv4")
	}
	id := hashOf(m.cfg.StateDir, name, time.Now().String())
	n := &Network{
		Name: name, ID: id, Driver: "bridge", Internal: opts.Internal, MTU: opts.MTU, Labels: opts.Labels,
		Created: time.Now().UTC(), DNS: true, Bridge: "jbr-" + id[:11], NoICC: opts.NoICC, NoMasquerade: opts.NoMasquerade,
	}
	n.ConfigFrom, n.Attachable, n.IPAMOptions = opts.ConfigFrom, opts.Attachable, opts.IPAMOptions
	if err := checkIPv6(n, opts, nets); err != nil {
		return nil, err
	}
	return m.saveNew(n, opts, nets)
}

// saveNew names the new network's bridge and writes its record.
func (m *Manager) saveNew(n *Network, opts NetworkOptions, nets []*Network) (*Network, error) {
	if opts.Bridge != "" {
		if err := checkBridgeName(opts.Bridge, nets); err != nil {
			return nil, err
		}
		n.Bridge = opts.Bridge
	}
	if n.Name == DefaultNetwork {
		n.Bridge = m.cfg.DefaultBridge
	}
	if n.MTU == 0 {
		n.MTU = m.cfg.MTU
	}
	if err := writeJSON(m.netPath(n.Name), n); err != nil {
		return nil, fmt.Errorf("save network %s: %w", n.Name, err)
	}
	return n, nil
}

// NetworkInfo is a network with the containers on it, for inspect and ls.
type NetworkInfo struct {
	Network
	Containers map[string]Endpoint `json:"containers"` // by container id
	// ContainerNames are the names of the containers, by id.
	ContainerNames map[string]string `json:"containerNames,omitempty"`
}

// Networks lists all networks, the default one included.
func (m *Manager) Networks() ([]NetworkInfo, error) {
	nets, err := m.loadNetworks()
	if err != nil {
		return nil, err
	}
	if !containsNet(nets, DefaultNetwork) {
		// Not made yet: show what it will be, as docker always lists "bridge".
		nets = append([]*Network{{Name: DefaultNetwork, Driver: "bridge", Bridge: m.cfg.DefaultBridge, Subnet: m.cfg.DefaultSubnet}}, nets...)
	}
	ctrs, err := m.loadContainers()
	if err != nil {
		return nil, err
	}
	var out []NetworkInfo
	for _, n := range nets {
		info := NetworkInfo{Network: *n, Containers: map[string]Endpoint{}, ContainerNames: map[string]string{}}
		for _, c := range ctrs {
			for _, ep := range c.Endpoints {
				if ep.Network == n.Name {
					info.Containers[c.ID] = ep
					info.ContainerNames[c.ID] = c.Name
				}
			}
		}
		out = append(out, info)
	}
	cfgs, err := m.loadConfigs()
	if err != nil {
		return nil, err
	}
	for _, c := range cfgs {
		out = append(out, NetworkInfo{Network: c.Network, Containers: map[string]Endpoint{}})
	}
	return out, nil
}

func containsNet(nets []*Network, name string) bool {
	for _, n := range nets {
		if n.Name == name {
			return true
		}
	}
	return false
}

// InspectNetwork returns one network by name or id prefix.
func (m *Manager) InspectNetwork(nameOrID string) (*NetworkInfo, error) {
	all, err := m.Networks()
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Name == nameOrID {
			return &all[i], nil
		}
	}
	for i := range all {
		if len(nameOrID) >= 3 && len(all[i].ID) >= len(nameOrID) && all[i].ID[:len(nameOrID)] == nameOrID {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("network %s: %w", nameOrID, ErrNotFound)
}

// RemoveNetwork deletes a user-defined network that no container uses.
func (m *Manager) RemoveNetwork(ctx context.Context, nameOrID string) error {
	info, err := m.InspectNetwork(nameOrID)
	if err != nil {
		return err
	}
	if info.Name == DefaultNetwork {
		return fmt.Errorf("network %s is jinn's default network and cannot be removed", info.Name)
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if info.ConfigOnly {
		return m.removeConfig(info.Name)
	}
	used, err := m.networksInUse()
	if err != nil {
		return err
	}
	if used[info.Name] {
		return fmt.Errorf("network %s has active endpoints", info.Name)
	}
	if err := m.reclaimNetwork(info.Name); err != nil {
		return fmt.Errorf("remove network %s: %w", info.Name, err)
	}
	return m.removeLocked(&info.Network)
}

func (m *Manager) removeLocked(n *Network) error {
	m.stopDNS(n.Name)
	if err := os.Remove(m.netPath(n.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove network %s: %w", n.Name, err)
	}
	os.Remove(m.cursorPath(n.Name))
	return errors.Join(removeBridge(n.Bridge), m.syncRules())
}

// PruneNetworks removes every network without containers and returns the
// names of the user-defined ones. The default network's bridge and rules go
// too (they come back on its next use), but it is not reported: it still
// exists, as docker's default bridge does.
func (m *Manager) PruneNetworks(ctx context.Context) ([]string, error) {
	return m.PruneNetworksWhere(ctx, nil)
}

// PruneNetworksWhere is PruneNetworks of the networks keep accepts
// (--filter until=, label=); nil accepts all.
func (m *Manager) PruneNetworksWhere(ctx context.Context, keep func(*Network) bool) ([]string, error) {
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	nets, err := m.loadNetworks()
	if err != nil {
		return nil, err
	}
	used, err := m.networksInUse()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, n := range nets {
		if used[n.Name] || keep != nil && !keep(n) {
			continue
		}
		if err := errors.Join(m.reclaimNetwork(n.Name), m.removeLocked(n)); err != nil {
			errs = append(errs, err)
			continue
		}
		if n.Name != DefaultNetwork {
			removed = append(removed, n.Name)
		}
	}
	// Config-only networks go once no network left depends on them.
	cfgs, err := m.loadConfigs()
	if err != nil {
		return removed, errors.Join(append(errs, err)...)
	}
	for _, c := range cfgs {
		if keep != nil && !keep(&c.Network) || m.removeConfig(c.Name) != nil {
			continue
		}
		removed = append(removed, c.Name)
	}
	return removed, errors.Join(errs...)
}

// checkRanges checks --ip-range and --aux-address against the subnet.
func checkRanges(n *Network, subnet *net.IPNet, opts NetworkOptions) error {
	if opts.IPRange != "" {
		ip, r, err := net.ParseCIDR(opts.IPRange)
		if err != nil || ip.To4() == nil {
			return fmt.Errorf("invalid --ip-range %q: want an IPv4 CIDR", opts.IPRange)
		}
		ro, _ := r.Mask.Size()
		so, _ := subnet.Mask.Size()
		if !subnet.Contains(r.IP) || ro < so {
			return fmt.Errorf("invalid --ip-range %s: not within the subnet %s", opts.IPRange, subnet)
		}
		n.IPRange = r.String()
	}
	for host, a := range opts.AuxAddresses {
		ip := net.ParseIP(a).To4()
		if ip == nil || !subnet.Contains(ip) {
			return fmt.Errorf("invalid --aux-address %s=%s: not an address in the subnet %s", host, a, subnet)
		}
		if n.AuxAddresses == nil {
			n.AuxAddresses = map[string]string{}
		}
		n.AuxAddresses[host] = ip.String()
	}
	return nil
}

// checkBridgeName refuses a bridge name the kernel would not take, one
// another network of this store has, and an existing link: jinn only
// ever manages bridges it made.
func checkBridgeName(name string, nets []*Network) error {
	if len(name) > 15 || strings.ContainsAny(name, "/: \t") {
		return fmt.Errorf("invalid bridge name %q: at most 15 characters, no '/', ':' or spaces", name)
	}
	for _, o := range nets {
		if o.Bridge == name {
			return fmt.Errorf("bridge name %s is already used by network %s", name, o.Name)
		}
	}
	if _, err := netlink.LinkByName(name); err == nil {
		return fmt.Errorf("bridge name %s: a network interface of that name exists", name)
	}
	return nil
}

// checkIPv6 makes the network dual-stack when --ipv6 is given, with its
// IPv6 subnet (a /64 to /120 that no other network of the store has).
func checkIPv6(n *Network, opts NetworkOptions, nets []*Network) error {
	if !opts.IPv6 {
		if opts.Subnet6 != "" {
			return fmt.Errorf("an IPv6 --subnet %s needs --ipv6", opts.Subnet6)
		}
		return nil
	}
	if opts.Subnet6 == "" {
		return fmt.Errorf("--ipv6 needs an IPv6 --subnet (e.g. fd00:1::/64)")
	}
	ip, ipn, err := net.ParseCIDR(opts.Subnet6)
	if err != nil || ip.To4() != nil {
		return fmt.Errorf("invalid IPv6 --subnet %q", opts.Subnet6)
	}
	if ones, _ := ipn.Mask.Size(); ones < 64 || ones > 120 {
		return fmt.Errorf("invalid IPv6 --subnet %s: the prefix must be from /64 to /120", opts.Subnet6)
	}
	for _, o := range nets {
		if _, on, err := net.ParseCIDR(o.Subnet6); err == nil && (on.Contains(ipn.IP) || ipn.Contains(on.IP)) {
			return fmt.Errorf("subnet %s overlaps network %s (%s)", opts.Subnet6, o.Name, o.Subnet6)
		}
	}
	gw := nthIP6(ipn, 1)
	if opts.Gateway6 != "" {
		if gw = net.ParseIP(opts.Gateway6); gw == nil || gw.To4() != nil || !ipn.Contains(gw) {
			return fmt.Errorf("invalid IPv6 --gateway %q: must be an address in %s", opts.Gateway6, opts.Subnet6)
		}
	}
	n.Subnet6, n.Gateway6 = ipn.String(), gw.String()
	return nil
}

// nthIP6 is the subnet's address number i.
func nthIP6(ipn *net.IPNet, i uint64) net.IP {
	ip := make(net.IP, 16)
	copy(ip, ipn.IP.To16())
	for b := 15; b >= 8 && i > 0; b-- {
		sum := uint64(ip[b]) + i&0xff
		ip[b] = byte(sum)
		i = i>>8 + sum>>8
	}
	return ip
}
