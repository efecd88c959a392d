package network

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// configNetwork is a config-only network (network create --config-only):
// addresses and driver options kept for networks made --config-from it,
// with no bridge, no rules and no containers of its own. Its records live
// apart from the networks', which every bridge and rule pass reads.
type configNetwork struct {
	Network
	Options NetworkOptions `json:"options"`
}

func (m *Manager) configPath(name string) string {
	return filepath.Join(m.cfg.StateDir, "configs", name+".json")
}

func (m *Manager) loadConfig(name string) (*configNetwork, error) {
	var c configNetwork
	if err := readJSON(m.configPath(name), &c); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config network %s: %w", name, ErrNotFound)
		}
		return nil, err
	}
	return &c, nil
}

func (m *Manager) loadConfigs() ([]*configNetwork, error) {
	ents, err := os.ReadDir(filepath.Join(m.cfg.StateDir, "configs"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []*configNetwork
	for _, e := range ents {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			c, err := m.loadConfig(name)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// createConfigOnly records a config-only network: its options checked
// for shape, nothing made on the host.
func (m *Manager) createConfigOnly(name string, opts NetworkOptions) (*Network, error) {
	for _, s := range []string{opts.Subnet, opts.Subnet6, opts.IPRange} {
		if _, _, err := net.ParseCIDR(s); s != "" && err != nil {
			return nil, fmt.Errorf("invalid subnet %s: want CIDR notation", s)
		}
	}
	for _, g := range []string{opts.Gateway, opts.Gateway6} {
		if g != "" && net.ParseIP(g) == nil {
			return nil, fmt.Errorf("invalid gateway %s: want an IP address", g)
		}
	}
	id := hashOf(m.cfg.StateDir, "config", name, time.Now().String())
	c := &configNetwork{Options: opts, Network: Network{
		Name: name, ID: id, Driver: "null", Subnet: opts.Subnet, Gateway: opts.Gateway, Subnet6: opts.Subnet6,
		Gateway6: opts.Gateway6, IPRange: opts.IPRange, AuxAddresses: opts.AuxAddresses, Internal: opts.Internal,
		Labels: opts.Labels, Created: time.Now().UTC(), ConfigOnly: true, IPAMOptions: opts.IPAMOptions, Attachable: opts.Attachable,
	}}
	if err := writeJSON(m.configPath(name), c); err != nil {
		return nil, fmt.Errorf("save network %s: %w", name, err)
	}
	return &c.Network, nil
}

// fromConfig is a network's options taken from config-only network
// opts.ConfigFrom: its addresses, ranges, IPAM and bridge options; the
// network's own labels, --internal and --attachable stay.
func (m *Manager) fromConfig(opts NetworkOptions) (NetworkOptions, error) {
	own := opts
	own.Labels, own.Internal, own.Attachable, own.ConfigFrom = nil, false, false, ""
	if !own.empty() {
		return opts, errors.New("user specified configurations are not supported if the network depends on a configuration network")
	}
	c, err := m.loadConfig(opts.ConfigFrom)
	if err != nil {
		return opts, fmt.Errorf("config network %s not found", opts.ConfigFrom)
	}
	out := c.Options
	out.ConfigOnly, out.ConfigFrom = false, opts.ConfigFrom
	out.Labels, out.Internal, out.Attachable = opts.Labels, opts.Internal, opts.Attachable
	return out, nil
}

// empty: no option a config-only network would give was set.
func (o NetworkOptions) empty() bool {
	return o.Subnet == "" && o.Gateway == "" && !o.Internal && o.MTU == 0 && len(o.Labels) == 0 && o.Bridge == "" &&
		o.IPRange == "" && len(o.AuxAddresses) == 0 && !o.NoICC && !o.NoMasquerade && !o.IPv6 && !o.NoIPv4 &&
		o.Subnet6 == "" && o.Gateway6 == "" && len(o.IPAMOptions) == 0 && !o.ConfigOnly
}

// removeConfig removes a config-only network no network is made from.
func (m *Manager) removeConfig(name string) error {
	nets, err := m.loadNetworks()
	if err != nil {
		return err
	}
	if i := slices.IndexFunc(nets, func(n *Network) bool { return n.ConfigFrom == name }); i >= 0 {
		return fmt.Errorf("configuration network %q is in use by network %s", name, nets[i].Name)
	}
	if err := os.Remove(m.configPath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove network %s: %w", name, err)
	}
	return nil
}
