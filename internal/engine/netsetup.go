package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/network"
)

// NetConfig is the networking part of HostConfig: what run's network flags
// asked for. NetworkMode (docker's field) says which network.
type NetConfig struct {
	PortSpecs          []network.Port `json:"Ports,omitempty"` // -p; HostPort 0 is picked at start
	PublishAllPorts    bool           `json:"PublishAllPorts"` // -P
	ExposedPorts       []string       `json:"ExposedPorts,omitempty"`
	IPAddress          string         `json:"IPAddress,omitempty"`  // --ip
	IP6Address         string         `json:"IP6Address,omitempty"` // --ip6
	NetworkAliases     []string       `json:"NetworkAliases,omitempty"`
	DNS                []string       `json:"Dns,omitempty"`
	DNSSearch          []string       `json:"DnsSearch,omitempty"`
	ExtraHosts         []string       `json:"ExtraHosts,omitempty"`
	NetworkIngressRate uint64         `json:"NetworkIngressRate,omitempty"` // bit/s into the container
	NetworkEgressRate  uint64         `json:"NetworkEgressRate,omitempty"`  // bit/s out of it
	LinkLocalIPs       []string       `json:"LinkLocalIPs,omitempty"`       // --link-local-ip
	// IfName and GwPriority are the own network's interface name and
	// gateway priority (the API's EndpointConfig, a connect while stopped).
	IfName     string `json:"IfName,omitempty"`
	GwPriority int    `json:"GwPriority,omitempty"`
}

// Networks is the network manager of this engine's root, opened once.
func (e *Local) Networks() (*network.Manager, error) {
	e.netOnce.Do(func() {
		e.netMgr, e.netErr = network.Open(network.Config{
			StateDir:   filepath.Join(e.cfg.Root, "network"),
			DNSCommand: []string{e.cfg.Self, "network", "dns-serve"},
		})
	})
	return e.netMgr, e.netErr
}

// bridgeNet implements NetworkSetup with the network package.
type bridgeNet struct{ e *Local }

func (b bridgeNet) Setup(c *Container, nsPath string) error {
	mode, err := network.ParseMode(c.Host.NetworkMode)
	if err != nil || mode.Kind != network.ModeBridge {
		return err
	}
	m, err := b.e.Networks()
	if err != nil {
		return err
	}
	ctx := context.Background()
	// A start after a crash or stop: whatever is left goes first.
	if err := m.Teardown(ctx, c.ID); err != nil {
		return err
	}
	_, err = m.Setup(ctx, b.e.attachment(c, nsPath, mode.Network))
	return err
}

// Teardown runs when the container is removed (stop and crash tear down
// through the monitor's OnExit), so what Connect remembered goes too.
func (b bridgeNet) Teardown(c *Container, nsPath string) error {
	m, err := b.e.Networks()
	if err != nil {
		return err
	}
	// A bridged container still in its namespace whose record is lost or
	// damaged: Teardown finds nothing to undo, so the rules are rebuilt
	// from the other containers' records.
	lost := false
	if mode, err := network.ParseMode(c.Host.NetworkMode); err == nil && mode.Kind == network.ModeBridge && isNsfs(nsPath) {
		lost = m.Generation(c.ID) == ""
	}
	if lost {
		return errors.Join(m.TeardownLost(context.Background(), c.ID), m.Forget(c.ID))
	}
	return errors.Join(m.Teardown(context.Background(), c.ID), m.Forget(c.ID))
}

// Release is Teardown at the container's removal while its namespace is
// still bound: unbind drops the bind mount, and the kernel deletes the
// veths with the namespace (network.Manager.Release). A bridged
// container whose record is lost is torn down by name, as Teardown does.
func (b bridgeNet) Release(c *Container, unbind func() error) error {
	m, err := b.e.Networks()
	if err != nil {
		return errors.Join(err, unbind())
	}
	ctx := context.Background()
	if mode, err := network.ParseMode(c.Host.NetworkMode); err == nil && mode.Kind == network.ModeBridge && m.Generation(c.ID) == "" {
		return errors.Join(m.TeardownLost(ctx, c.ID), m.Forget(c.ID), unbind())
	}
	return errors.Join(m.Release(ctx, c.ID, unbind), m.Forget(c.ID))
}

func (e *Local) attachment(c *Container, nsPath, netName string) network.Attachment {
	n := &c.Host.NetConfig
	ports := append([]network.Port{}, n.PortSpecs...)
	if n.PublishAllPorts {
		for _, ep := range n.ExposedPorts {
			if p, err := network.ParsePort(ep); err == nil {
				ports = append(ports, p...)
			}
		}
	}
	return network.Attachment{
		ContainerID: c.ID, Name: c.Name, Hostname: c.Config.Hostname, NetnsPath: nsPath,
		Network: netName, IP: n.IPAddress, IP6: n.IP6Address, Aliases: n.NetworkAliases, LinkLocalIPs: n.LinkLocalIPs, IfName: n.IfName, GwPriority: n.GwPriority, Ports: ports,
		ExtraHosts: append(e.linkHosts(c), n.ExtraHosts...), DNS: n.DNS, DNSSearch: n.DNSSearch, DNSOptions: c.Host.DNSOptions, MAC: c.Host.MacAddress,
		IngressRate: n.NetworkIngressRate, EgressRate: n.NetworkEgressRate,
		FilesDir: e.netFilesDir(c),
	}
}

func (e *Local) netFilesDir(c *Container) string {
	return NetFilesDir(e.cfg.Root, e.cfg.RunRoot, c)
}

// NetFilesDir is where a container's hosts, hostname and resolv.conf are
// (bind-mounted into it, written at each start), for the stores at root
// and runRoot; inspect's HostsPath and the others name them there. A --rm
// container's are in its state directory on the run root (a tmpfs on a
// default install, /run/jinn), with the monitor's state: such a container
// never restarts and is gone after a reboot, and on the root's file
// system each file is an inode to allocate and a block to discard at
// removal, ~1.2-1.8 ms of the CLI's CPU a `run --rm` on this project's CI
// VM (ext4 without a journal, mounted with discard). Others' stay in the
// container's directory.
func NetFilesDir(root, runRoot string, c *Container) string {
	if c.Host.AutoRemove {
		return filepath.Join(runRoot, "containers", c.ID)
	}
	return filepath.Join(root, "containers", c.ID)
}

// checkNetwork validates the network settings at create, so that a bad
// --network fails there, and records the image's exposed ports for -P.
func (e *Local) checkNetwork(c *Container, img *Image) error {
	mode, err := network.ParseMode(c.Host.NetworkMode)
	if err != nil {
		return &ExitError{Code: ExitEngine, Err: err}
	}
	n := &c.Host.NetConfig
	if img != nil {
		for p := range img.Config.ExposedPorts {
			n.ExposedPorts = append(n.ExposedPorts, p)
		}
		sort.Strings(n.ExposedPorts)
	}
	bridged := mode.Kind == network.ModeBridge
	switch {
	case !bridged && (len(n.PortSpecs) > 0 || n.PublishAllPorts):
		return exitErr(ExitEngine, "conflicting options: port publishing and the container type network mode")
	case !bridged && (n.IPAddress != "" || n.IP6Address != "" || len(n.NetworkAliases) > 0 || len(n.LinkLocalIPs) > 0):
		return exitErr(ExitEngine, "conflicting options: --ip/--network-alias need a bridge network")
	case mode.Network == network.DefaultNetwork && len(n.NetworkAliases) > 0:
		return exitErr(ExitEngine, "network-scoped aliases are only supported for user-defined networks")
	case mode.Kind == network.ModeContainer && (len(n.DNS) > 0 || len(n.ExtraHosts) > 0):
		return exitErr(ExitEngine, "conflicting options: --dns/--add-host and the container type network mode")
	case mode.Kind == network.ModeNone || mode.Kind == network.ModeHost:
		if n.NetworkIngressRate > 0 || n.NetworkEgressRate > 0 {
			return exitErr(ExitEngine, "--network-ingress-rate/--network-egress-rate need a bridge network")
		}
	}
	if bridged && mode.Network != network.DefaultNetwork {
		m, err := e.Networks()
		if err != nil {
			return err
		}
		if n, err := m.InspectNetwork(mode.Network); err != nil {
			return exitErr(ExitEngine, "network %s not found", mode.Network)
		} else if n.ConfigOnly {
			return exitErr(ExitEngine, "network %s is a config-only network: containers cannot join it", n.Name)
		}
	}
	if mode.Kind == network.ModeContainer {
		if _, err := e.inspect(mode.Network); err != nil {
			return exitErr(ExitEngine, "no such container: %s", mode.Network)
		}
	}
	return nil
}

// containerNetns returns the network namespace the container joins: none
// for --network host (the runtime then shares the host's), another
// container's for container:NAME, and a new one of its own otherwise.
func (e *Local) containerNetns(c *Container) (string, error) {
	mode, err := network.ParseMode(c.Host.NetworkMode)
	if err != nil {
		return "", err
	}
	switch mode.Kind {
	case network.ModeHost:
		return "", nil
	case network.ModeContainer:
		v, err := e.inspect(mode.Network)
		if err != nil {
			return "", err
		}
		p := e.netnsPath(v.ID)
		if !running(v.State) || !isNsfs(p) {
			return "", fmt.Errorf("cannot join network of container %s: it is not running", mode.Network)
		}
		return p, nil
	}
	return e.makeNetns(c)
}

// writeNetFiles writes hosts, hostname and resolv.conf into the
// container's dir. A bridged container's were written by its Setup.
func (e *Local) writeNetFiles(c *Container) error {
	mode, err := network.ParseMode(c.Host.NetworkMode)
	if err != nil {
		return err
	}
	dir := e.netFilesDir(c)
	if c.Host.AutoRemove {
		// The run root's directory is gone after a reboot.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	switch mode.Kind {
	case network.ModeBridge:
		return nil
	case network.ModeContainer:
		v, err := e.inspect(mode.Network)
		if err != nil {
			return err
		}
		for _, f := range []string{"hosts", "resolv.conf"} {
			data, err := os.ReadFile(filepath.Join(e.netFilesDir(v.Container), f))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
				return err
			}
		}
		return os.WriteFile(filepath.Join(dir, "hostname"), []byte(c.Config.Hostname+"\n"), 0o644)
	}
	m, err := e.Networks()
	if err != nil {
		return err
	}
	_, err = m.SetupFiles(e.attachment(c, "", ""), mode.Kind == network.ModeHost)
	if err == nil && e.rec() != nil {
		// Made from the host's files: the plan holds while they do.
		e.rec().KeyStat("/etc/resolv.conf")
		e.rec().KeyStat("/etc/hosts")
		for _, f := range []string{"hosts", "hostname", "resolv.conf"} {
			e.recFile(filepath.Join(dir, f), 0o644)
		}
	}
	return err
}

// netGeneration is the container's current network setup, for its
// monitor's teardown to name.
func (e *Local) netGeneration(c *Container) string {
	m, err := e.Networks()
	if err != nil {
		return ""
	}
	return m.Generation(c.ID)
}

// Ports returns the container's published ports as `jinn port` shows them.
func (e *Local) Ports(_ context.Context, ref string) ([]network.Port, error) {
	v, err := e.inspect(ref)
	if err != nil {
		return nil, err
	}
	m, err := e.Networks()
	if err != nil {
		return nil, err
	}
	ps, err := m.Ports(v.ID)
	if err != nil {
		return nil, nil // not running or not bridged: nothing published
	}
	return ps, nil
}

// portKey is "80/tcp" for matching `jinn port CONTAINER 80[/tcp]`.
func portKey(p network.Port) string { return strconv.Itoa(p.ContainerPort) + "/" + p.Proto }

// MatchPort reports whether p is what `jinn port` was asked for.
func MatchPort(p network.Port, want string) bool {
	if !strings.Contains(want, "/") {
		want += "/tcp"
	}
	return portKey(p) == want
}

// ConnectOptions are network connect's: docker's EndpointSettings.
type ConnectOptions struct {
	IP, IP6      string
	Aliases      []string
	LinkLocalIPs []string
	// DriverOpts are the endpoint's driver options: the bridge knows
	// com.docker.network.endpoint.ifname.
	DriverOpts map[string]string
	// GwPriority: the highest gives the default route (docker 28).
	GwPriority int
	// Links are NAME[:ALIAS] of containers on the network.
	Links []string
}

// endpointOptions checks o into the network package's, the links
// resolved to their containers.
func (e *Local) endpointOptions(o *ConnectOptions) (network.EndpointOptions, error) {
	eo := network.EndpointOptions{IP: o.IP, IP6: o.IP6, Aliases: o.Aliases, LinkLocalIPs: o.LinkLocalIPs, GwPriority: o.GwPriority}
	for k, v := range o.DriverOpts {
		if err := eo.SetDriverOpt(k, v); err != nil {
			return eo, invalid("%v", err)
		}
	}
	if err := eo.Check(); err != nil {
		return eo, invalid("%v", err)
	}
	for _, l := range o.Links {
		name, alias, _ := strings.Cut(l, ":")
		if name == "" || strings.Contains(alias, ":") {
			return eo, invalid("invalid link %q: NAME[:ALIAS]", l)
		}
		t, err := e.Lookup(name)
		if err != nil {
			return eo, exitErr(ExitEngine, "could not get container for %s", name)
		}
		if alias == "" {
			alias = t.Name
		}
		eo.Links = append(eo.Links, network.Link{ContainerID: t.ID, Name: t.Name, Alias: alias})
	}
	return eo, nil
}

// Connect attaches a running container to one more network (until it
// stops), or records the network of a stopped one.
func (e *Local) Connect(ctx context.Context, network_, ref string, o *ConnectOptions) error {
	if o == nil {
		o = &ConnectOptions{}
	}
	eo, err := e.endpointOptions(o)
	if err != nil {
		return err
	}
	v, err := e.inspect(ref)
	if err != nil {
		return err
	}
	if !running(v.State) || !isNsfs(e.netnsPath(v.ID)) {
		return e.connectStopped(v.Container, network_, eo)
	}
	m, err := e.Networks()
	if err != nil {
		return err
	}
	_, err = m.Connect(ctx, v.ID, network_, eo)
	return err
}

// connectStopped records a network for a container that does not run, as
// docker does: it joins it at start. One without a network (none) gets it
// as its own (after a disconnect, as compose does); a bridged one joins it
// after its own, as a network Connect joined while it ran.
func (e *Local) connectStopped(c *Container, network_ string, o network.EndpointOptions) error {
	switch mode := c.Host.NetworkMode; {
	case mode == network_, mode == "none", mode == "bridge" && network_ == "bridge":
	default:
		if pm, err := network.ParseMode(mode); err != nil || pm.Kind != network.ModeBridge || network_ == network.DefaultNetwork {
			return exitErr(ExitEngine, "container %s is on network %s: it cannot join %s as well", c.Name, mode, network_)
		}
		m, err := e.Networks()
		if err != nil {
			return err
		}
		if err := m.Remember(c.ID, network_, o); err != nil {
			return exitErr(ExitEngine, "%v", err)
		}
		return nil
	}
	if len(o.Links) > 0 {
		return invalid("the container's own network (%s) takes no links: connect it to a second network", network_)
	}
	if m, err := e.Networks(); err == nil && network_ != "bridge" {
		if n, err := m.InspectNetwork(network_); err != nil {
			return exitErr(ExitEngine, "network %s not found", network_)
		} else if n.ConfigOnly {
			return exitErr(ExitEngine, "network %s is a config-only network: containers cannot join it", n.Name)
		}
	}
	n := &c.Host.NetConfig
	c.Host.NetworkMode, n.IPAddress, n.IP6Address, n.NetworkAliases, n.LinkLocalIPs = network_, o.IP, o.IP6, o.Aliases, o.LinkLocalIPs
	n.IfName, n.GwPriority = o.IfName, o.GwPriority
	return e.writeContainer(c)
}

// Disconnect removes a container from a network.
func (e *Local) Disconnect(ctx context.Context, network_, ref string) error {
	v, err := e.inspect(ref)
	if err != nil {
		return err
	}
	if !running(v.State) {
		// Left before it joins: it starts without a network until
		// connected again.
		if v.Host.NetworkMode != network_ {
			if m, err := e.Networks(); err == nil {
				if found, err := m.Unremember(v.ID, network_); found || err != nil {
					return err
				}
			}
			return exitErr(ExitEngine, "container %s is not connected to network %s", v.Name, network_)
		}
		v.Host.NetworkMode, v.Host.IPAddress, v.Host.NetworkAliases = "none", "", nil
		return e.writeContainer(v.Container)
	}
	m, err := e.Networks()
	if err != nil {
		return err
	}
	_, err = m.Disconnect(ctx, v.ID, network_)
	return err
}
