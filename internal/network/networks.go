package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// ensureNetwork loads network name (creating the default network's record
// on first use) and makes sure its bridge exists.
func (m *Manager) ensureNetwork(name string) (*Network, error) {
	n, err := m.loadNetwork(name)
	if errors.Is(err, ErrNotFound) && name == DefaultNetwork {
		n, err = m.createLocked(DefaultNetwork, NetworkOptions{Subnet: m.cfg.DefaultSubnet})
	}
	if err != nil {
		return nil, err
	}
	if err := ensureBridge(n, m.cfg.StateDir); err != nil {
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
	n, err := m.createLocked(name, opts)
	if err != nil {
		return nil, err
	}
	if err := ensureBridge(n, m.cfg.StateDir); err != nil {
		os.Remove(m.netPath(name))
		removeBridge(n.Bridge)
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
	}
	if name == DefaultNetwork {
		n.Bridge = m.cfg.DefaultBridge
	}
	if n.MTU == 0 {
		n.MTU = m.cfg.MTU
	}
	if err := writeJSON(m.netPath(name), n); err != nil {
		return nil, fmt.Errorf("save network %s: %w", name, err)
	}
	return n, nil
}

// NetworkInfo is a network with the containers on it, for inspect and ls.
type NetworkInfo struct {
	Network
	Containers map[string]Endpoint `json:"containers"` // by container id
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
		info := NetworkInfo{Network: *n, Containers: map[string]Endpoint{}}
		for _, c := range ctrs {
			for _, ep := range c.Endpoints {
				if ep.Network == n.Name {
					info.Containers[c.ID] = ep
				}
			}
		}
		out = append(out, info)
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
	used, err := m.networksInUse()
	if err != nil {
		return err
	}
	if used[info.Name] {
		return fmt.Errorf("network %s has active endpoints", info.Name)
	}
	return m.removeLocked(&info.Network)
}

func (m *Manager) removeLocked(n *Network) error {
	m.stopDNS(n.Name)
	if err := os.Remove(m.netPath(n.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove network %s: %w", n.Name, err)
	}
	return errors.Join(removeBridge(n.Bridge), m.syncRules())
}

// PruneNetworks removes every network without containers and returns the
// names of the user-defined ones. The default network's bridge and rules go
// too (they come back on its next use), but it is not reported: it still
// exists, as docker's default bridge does.
func (m *Manager) PruneNetworks(ctx context.Context) ([]string, error) {
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
		if used[n.Name] {
			continue
		}
		if err := m.removeLocked(n); err != nil {
			errs = append(errs, err)
			continue
		}
		if n.Name != DefaultNetwork {
			removed = append(removed, n.Name)
		}
	}
	return removed, errors.Join(errs...)
}
