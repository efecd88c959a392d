package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/google/nftables"
)

// Config says where a Manager keeps its state and what it names things.
type Config struct {
	StateDir      string   // required: networks, endpoints, per-container files
	Table         string   // nftables table (ip family); default from StateDir
	DefaultBridge string   // bridge of the default network; default from StateDir
	DefaultSubnet string   // CIDR; default: a free /24 in 10.88.0.0/13
	MTU           int      // default 1500
	LockPath      string   // machine-wide lock, for subnet choice; default /run/jinn/network.lock
	HostResolv    string   // default /etc/resolv.conf
	DNSCommand    []string // argv of the DNS server (see ServeDNS); empty: no DNS
}

// SystemStateDir is the state dir of the default engine root; it gets the
// short names (table "jinn", bridge "jinn0"). Other state dirs get names
// derived from a hash, so engines with different roots (tests) never share
// a bridge or a table.
const SystemStateDir = "/var/lib/jinn/network"

// Manager sets up and tears down container networking.
type Manager struct {
	cfg Config

	nftMu sync.Mutex
	nft   *nftables.Conn // one lasting socket (see nftConn)
}

// Open returns a Manager for cfg; it touches nothing on the host.
func Open(cfg Config) (*Manager, error) {
	if cfg.StateDir == "" {
		return nil, errors.New("network: state dir is required")
	}
	abs, err := filepath.Abs(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	cfg.StateDir = abs
	suffix := hashOf(abs)[:6]
	if cfg.Table == "" {
		cfg.Table = "jinn"
		if abs != SystemStateDir {
			cfg.Table = "jinn_" + suffix
		}
	}
	if cfg.DefaultBridge == "" {
		cfg.DefaultBridge = "jinn0"
		if abs != SystemStateDir {
			cfg.DefaultBridge = "jinn" + suffix
		}
	}
	if len(cfg.DefaultBridge) > 15 {
		return nil, fmt.Errorf("bridge name %q is longer than 15 characters", cfg.DefaultBridge)
	}
	if cfg.MTU == 0 {
		cfg.MTU = 1500
	}
	if cfg.LockPath == "" {
		cfg.LockPath = "/run/jinn/network.lock"
	}
	if cfg.HostResolv == "" {
		cfg.HostResolv = "/etc/resolv.conf"
	}
	return &Manager{cfg: cfg}, nil
}

// Config returns the effective configuration.
func (m *Manager) Config() Config { return m.cfg }

// Setup connects the container's namespace to a.Network (the default
// bridge if empty): veth, address, routes, tc limits, published ports, DNS
// records, and the hosts/hostname/resolv.conf files. On error nothing of it
// is left behind.
func (m *Manager) Setup(ctx context.Context, a Attachment) (res *Result, err error) {
	if a.ContainerID == "" || a.NetnsPath == "" {
		return nil, errors.New("network setup: container id and netns path are required")
	}
	for _, h := range a.ExtraHosts {
		if _, _, err := ParseExtraHost(h); err != nil {
			return nil, err
		}
	}
	for _, d := range a.DNS {
		if net.ParseIP(d) == nil {
			return nil, fmt.Errorf("invalid --dns %q: not an IP address", d)
		}
	}
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := m.loadContainer(a.ContainerID); err == nil {
		return nil, fmt.Errorf("network setup: container %s is already set up", a.ContainerID)
	}
	m.sweepReleases(false)
	c := &containerState{
		ID: a.ContainerID, Name: a.Name, Hostname: a.Hostname, NetnsPath: a.NetnsPath,
		ExtraHosts: a.ExtraHosts, DNS: a.DNS, DNSSearch: a.DNSSearch, DNSOptions: a.DNSOptions, MAC: a.MAC,
		IngressRate: a.IngressRate, EgressRate: a.EgressRate, FilesDir: a.FilesDir,
		Generation: randHex(8),
	}
	if c.Hostname == "" {
		c.Hostname = shortID(a.ContainerID)
	}
	netName := a.Network
	if netName == "" {
		netName = DefaultNetwork
	}
	defer func() {
		if err != nil {
			m.undo(c)
		}
	}()
	own := EndpointOptions{IP: a.IP, IP6: a.IP6, Aliases: a.Aliases, LinkLocalIPs: a.LinkLocalIPs, IfName: a.IfName, GwPriority: a.GwPriority}
	if err := own.Check(); err != nil {
		return nil, err
	}
	// One network gets its default route with its veth (the common run,
	// on one netlink handle); with more, gateways picks once all joined.
	conns := m.connected(a.ContainerID)
	if err := m.attach(c, netName, own, len(conns) == 0); err != nil {
		return nil, err
	}
	// Networks joined with Connect stay joined across restarts, as in docker.
	for _, x := range conns {
		if _, err := m.loadNetwork(x.Network); errors.Is(err, ErrNotFound) {
			slog.Warn("network removed since connect", "container", a.ContainerID, "network", x.Network)
			continue
		}
		if err := m.attach(c, x.Network, x.EndpointOptions, false); err != nil {
			return nil, err
		}
	}
	if len(conns) > 0 {
		if err := m.setRoutes(c); err != nil {
			return nil, err
		}
	}
	for _, p := range a.Ports {
		if h := net.ParseIP(p.HostIP); h != nil && h.To4() == nil && c.Endpoints[0].IP6 == "" {
			return nil, fmt.Errorf("port %s: publishing on an IPv6 address needs an IPv6 network (network create --ipv6)", p.HostAddr())
		}
		if h := net.ParseIP(p.HostIP); h != nil && h.To4() != nil && c.Endpoints[0].IP == "" {
			return nil, fmt.Errorf("port %s: publishing on an IPv4 address needs IPv4 (the network is IPv6 only)", p.HostAddr())
		}
	}
	if c.Ports, err = m.resolvePorts(a.ContainerID, a.Ports); err != nil {
		return nil, err
	}
	return m.commit(c)
}

// SetupFiles writes hosts, hostname and resolv.conf for a container
// without a network of its own here (--network none or host).
func (m *Manager) SetupFiles(a Attachment, hostNet bool) (*Result, error) {
	c := &containerState{ID: a.ContainerID, Name: a.Name, Hostname: a.Hostname, ExtraHosts: a.ExtraHosts, DNS: a.DNS, DNSSearch: a.DNSSearch, DNSOptions: a.DNSOptions, FilesDir: a.FilesDir}
	if c.Hostname == "" {
		c.Hostname = shortID(a.ContainerID)
		if hostNet {
			c.Hostname, _ = os.Hostname()
		}
	}
	h, hn, r, err := writeFiles(m.filesDir(c), c, nil, m.cfg.HostResolv, hostNet)
	if err != nil {
		return nil, err
	}
	return &Result{HostsPath: h, HostnamePath: hn, ResolvConfPath: r}, nil
}

// attach adds one endpoint on network to c (veth, addresses, tc), with
// the default route through it when route says so.
func (m *Manager) attach(c *containerState, netName string, o EndpointOptions, route bool) error {
	wantIP, wantIP6, aliases := o.IP, o.IP6, o.Aliases
	for _, ep := range c.Endpoints {
		if ep.Network == netName {
			return fmt.Errorf("container %s is already connected to network %s", c.ID, netName)
		}
		if o.IfName != "" && ep.IfName == o.IfName {
			return fmt.Errorf("interface name %s is already in use in container %s (network %s)", o.IfName, c.ID, ep.Network)
		}
	}
	n, err := m.ensureNetwork(netName)
	if err != nil {
		return err
	}
	// An address a removed container's veth still holds until the kernel
	// deletes it (release.go) is taken back when asked for by name.
	if err := errors.Join(m.reclaimIP(netName, wantIP), m.reclaimIP(netName, wantIP6)); err != nil {
		return fmt.Errorf("network %s: reclaim an address: %w", netName, err)
	}
	used, err := m.usedIPs(netName)
	if err != nil {
		return err
	}
	if netName == DefaultNetwork && len(aliases) > 0 {
		return errors.New("network-scoped aliases are only supported for user-defined networks")
	}
	ep := Endpoint{
		Network:      netName,
		IfName:       o.IfName,
		HostVeth:     vethName(m.cfg.StateDir, c.ID, netName),
		Aliases:      aliases,
		LinkLocalIPs: o.LinkLocalIPs,
		GwPriority:   o.GwPriority,
		LinkHosts:    m.linkHosts(netName, o.Links),
	}
	if ep.IfName == "" {
		ep.IfName = fmt.Sprintf("eth%d", nextIfIndex(c.Endpoints))
	}
	if n.HasIPv4() {
		ip, err := allocateIP(n, used, wantIP, m.lastIP(netName))
		if err != nil {
			return err
		}
		if wantIP == "" {
			if err := m.setLastIP(netName, ip); err != nil {
				return fmt.Errorf("network %s: allocation cursor: %w", netName, err)
			}
		}
		_, ipn, _ := net.ParseCIDR(n.Subnet)
		ep.IP, ep.Gateway = ip.String(), n.Gateway
		ep.Prefix, _ = ipn.Mask.Size()
	} else if wantIP != "" {
		return fmt.Errorf("--ip %s: network %s is IPv6 only", wantIP, netName)
	}
	if n.Subnet6 == "" && wantIP6 != "" {
		return fmt.Errorf("--ip6 %s: network %s has no IPv6 (network create --ipv6)", wantIP6, netName)
	}
	if len(c.Endpoints) == 0 {
		ep.MAC = c.MAC
	}
	if n.Subnet6 != "" {
		ip6, err := allocateIP6(n, used, wantIP6)
		if err != nil {
			return err
		}
		_, ipn6, _ := net.ParseCIDR(n.Subnet6)
		ep.IP6, ep.Gateway6 = ip6.String(), n.Gateway6
		ep.Prefix6, _ = ipn6.Mask.Size()
	}
	if err := addVeth(n, &ep, c.NetnsPath, route, c.IngressRate, c.EgressRate); err != nil {
		return err
	}
	c.Endpoints = append(c.Endpoints, ep)
	return nil
}

func nextIfIndex(eps []Endpoint) int {
	for i := 0; ; i++ {
		if !slices.ContainsFunc(eps, func(e Endpoint) bool { return e.IfName == fmt.Sprintf("eth%d", i) }) {
			return i
		}
	}
}

// commit persists c, rebuilds the rules, starts DNS servers and writes the
// container's files.
func (m *Manager) commit(c *containerState) (*Result, error) {
	if err := writeJSON(m.ctrPath(c.ID), c); err != nil {
		return nil, fmt.Errorf("save network state of %s: %w", c.ID, err)
	}
	if err := m.syncRules(); err != nil {
		return nil, err
	}
	nets := map[string]*Network{}
	for _, ep := range c.Endpoints {
		n, err := m.loadNetwork(ep.Network)
		if err != nil {
			return nil, err
		}
		nets[n.Name] = n
		if n.DNS {
			if err := m.startDNS(n.Name); err != nil {
				return nil, err
			}
		}
	}
	h, hn, r, err := writeFiles(m.filesDir(c), c, nets, m.cfg.HostResolv, false)
	if err != nil {
		return nil, err
	}
	return &Result{Endpoints: c.Endpoints, Ports: c.Ports, HostsPath: h, HostnamePath: hn, ResolvConfPath: r}, nil
}

// undo removes what a failed Setup made.
func (m *Manager) undo(c *containerState) {
	for _, ep := range c.Endpoints {
		delLink(ep.HostVeth)
	}
	os.Remove(m.ctrPath(c.ID))
	if c.FilesDir == "" {
		os.RemoveAll(m.FilesDir(c.ID))
	}
	m.syncRules()
	m.gcNetworks()
}

// TeardownLost is Teardown for a container whose record is lost or
// damaged: its veths are found by their names, and the rules are rebuilt
// from the other containers' records, so its ports' rules go.
func (m *Manager) TeardownLost(ctx context.Context, containerID string) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	errs := []error{m.delVeths(containerID)}
	os.Remove(m.ctrPath(containerID))
	os.RemoveAll(m.FilesDir(containerID))
	errs = append(errs, m.syncRules(), m.gcNetworks())
	return errors.Join(errs...)
}

// delVeths deletes the container's veths on every network, by name.
func (m *Manager) delVeths(containerID string) error {
	nets, err := m.loadNetworks()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range nets {
		errs = append(errs, delLink(vethName(m.cfg.StateDir, containerID, n.Name)))
	}
	return errors.Join(errs...)
}

// vethName is the host end of a container's veth on a network.
func vethName(stateDir, containerID, network string) string {
	return "vj" + hashOf(stateDir, containerID, network)[:11]
}

// Teardown removes everything Setup and Connect made for the container:
// veths (with their tc), addresses, rules, DNS records, files. It works
// from the persisted state alone, so it cleans up after crashes too, and
// it is a no-op for unknown containers.
func (m *Manager) Teardown(ctx context.Context, containerID string) error {
	return m.TeardownGeneration(ctx, containerID, "")
}

// Generation identifies the container's current Setup ("" if none).
func (m *Manager) Generation(containerID string) string {
	c, err := m.loadContainer(containerID)
	if err != nil {
		return ""
	}
	return c.Generation
}

// TeardownGeneration is Teardown, but only if the container's setup is
// still the one of generation gen ("" matches any): a stopped run's late
// teardown must leave the next run's network alone.
func (m *Manager) TeardownGeneration(ctx context.Context, containerID, gen string) error {
	if _, err := os.Stat(m.ctrPath(containerID)); errors.Is(err, os.ErrNotExist) {
		os.RemoveAll(m.FilesDir(containerID))
		return nil // nothing was set up: no lock, no rule rebuild
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	c, err := m.loadContainer(containerID)
	damaged := err != nil && !errors.Is(err, ErrNotFound)
	if c != nil && gen != "" && c.Generation != gen {
		return nil
	}
	return errors.Join(m.teardownLocked(containerID, c, damaged), m.sweepReleases(false))
}

// teardownLocked deletes the container's veths (those of every network
// when its record is damaged), rebuilds the rules without it and removes
// its record and files; c is its record, nil if lost.
func (m *Manager) teardownLocked(containerID string, c *containerState, damaged bool) error {
	// The veths go while the rules are rebuilt without the container:
	// each waits for the kernel (a veth's deletion for an rcu_barrier, a
	// rule change for nf_tables' cleanup), so the waits overlap. Its
	// record goes after both: a teardown cut short leaves it for the next
	// to finish.
	var wg sync.WaitGroup
	var linkErrs []error
	var mu sync.Mutex
	del := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				mu.Lock()
				linkErrs = append(linkErrs, err)
				mu.Unlock()
			}
		}()
	}
	if damaged {
		// The record cannot be read: its veths are named by the
		// container and network, so every network's goes.
		del(func() error { return m.delVeths(containerID) })
	}
	if c != nil {
		for _, ep := range c.Endpoints {
			del(func() error {
				if err := delLink(ep.HostVeth); err != nil {
					return fmt.Errorf("delete veth %s: %w", ep.HostVeth, err)
				}
				return nil
			})
		}
	}
	errs := []error{m.syncRulesExcept(containerID)}
	wg.Wait()
	errs = append(errs, linkErrs...)
	return errors.Join(append(errs, m.dropRecords(containerID))...)
}

// gcNetworks stops DNS servers of networks without containers. The
// default bridge and its rules stay up, as docker's docker0 does: taking a
// bridge down waits for RCU grace periods (40-75 ms here), which every
// `run --rm` would pay. They are jinn's own state until PruneNetworks
// (`jinn network prune`, `jinn system prune`) removes them.
func (m *Manager) gcNetworks() error {
	nets, err := m.loadNetworks()
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(nets, func(n *Network) bool { return n.DNS }) {
		return nil // no DNS server to stop: every container's record unread
	}
	used, err := m.networksInUse()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range nets {
		if used[n.Name] {
			continue
		}
		if n.DNS {
			m.stopDNS(n.Name)
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) networksInUse() (map[string]bool, error) {
	ctrs, err := m.loadContainers()
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, c := range ctrs {
		for _, ep := range c.Endpoints {
			used[ep.Network] = true
		}
	}
	return used, nil
}

func (m *Manager) usedIPs(network string) (map[string]bool, error) {
	ctrs, err := m.loadContainers()
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	m.releasedIPs(network, used)
	for _, c := range ctrs {
		for _, ep := range c.Endpoints {
			if ep.Network == network {
				used[ep.IP] = true
				if ep.IP6 != "" {
					used[ep.IP6] = true
				}
			}
		}
	}
	return used, nil
}

// Ports returns the container's published ports (for `jinn port`, ps and
// inspect). A port published on every address (HostIP "") is listed as
// docker lists it: on 0.0.0.0 and, if the container has IPv6, on [::]
// too; an IPv6-only container's only on [::].
func (m *Manager) Ports(containerID string) ([]Port, error) {
	c, err := m.loadContainer(containerID)
	if err != nil {
		return nil, err
	}
	if len(c.Endpoints) == 0 || c.Endpoints[0].IP6 == "" {
		return c.Ports, nil
	}
	var out []Port
	for _, p := range c.Ports {
		if p.HostIP != "" {
			out = append(out, p)
			continue
		}
		if c.Endpoints[0].IP != "" {
			out = append(out, p)
		}
		p.HostIP = "::"
		out = append(out, p)
	}
	return out, nil
}

// Endpoints returns the container's endpoints (for inspect).
func (m *Manager) Endpoints(containerID string) ([]Endpoint, error) {
	c, err := m.loadContainer(containerID)
	if err != nil {
		return nil, err
	}
	return c.Endpoints, nil
}

// Containers lists the ids of containers with network state, for crash
// cleanup: the engine tears down those that are no longer running.
func (m *Manager) Containers() ([]string, error) {
	ctrs, err := m.loadContainers()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range ctrs {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

func (m *Manager) filesDir(c *containerState) string {
	if c.FilesDir != "" {
		return c.FilesDir
	}
	return m.FilesDir(c.ID)
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return strings.ToLower(id)
}
