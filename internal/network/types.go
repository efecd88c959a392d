// Package network gives containers the network they ask for: a bridge of
// jinn's own with IPAM, a veth per container, NAT and published ports in an
// nftables table of jinn's own, an embedded DNS server for user networks,
// and bandwidth limits with tc. The engine creates the container's network
// namespace (NewNetns), calls Manager.Setup before the OCI runtime's create,
// and Manager.Teardown when the container stops or is removed.
package network

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// DefaultNetwork is the name of jinn's default bridge network, as docker's "bridge".
const DefaultNetwork = "bridge"

// Network is a user-visible network; it is persisted as JSON in the state dir.
type Network struct {
	Name     string            `json:"name"`
	ID       string            `json:"id"`
	Driver   string            `json:"driver"`
	Bridge   string            `json:"bridge"`
	Subnet   string            `json:"subnet"`
	Gateway  string            `json:"gateway"`
	Internal bool              `json:"internal"`
	MTU      int               `json:"mtu"`
	DNS      bool              `json:"dns"` // embedded DNS on the gateway (user networks)
	Labels   map[string]string `json:"labels,omitempty"`
	Created  time.Time         `json:"created"`
	// IPRange is where addresses are allocated from (--ip-range); the
	// AuxAddresses are never given out (--aux-address).
	IPRange      string            `json:"ipRange,omitempty"`
	AuxAddresses map[string]string `json:"auxAddresses,omitempty"`
	// NoICC isolates the containers from each other (enable_icc=false);
	// NoMasquerade leaves their traffic out unNATed.
	NoICC        bool `json:"noICC,omitempty"`
	NoMasquerade bool `json:"noMasquerade,omitempty"`
	// Subnet6 and Gateway6 make the network dual-stack (--ipv6): the
	// bridge and every container get an IPv6 address too.
	Subnet6  string `json:"subnet6,omitempty"`
	Gateway6 string `json:"gateway6,omitempty"`
	// ConfigOnly: a --config-only network (confignet.go); ConfigFrom
	// names the one this network's options came from.
	ConfigOnly bool   `json:"configOnly,omitempty"`
	ConfigFrom string `json:"configFrom,omitempty"`
	// Attachable and IPAMOptions are kept and shown, as docker's default
	// IPAM and local networks keep them (neither changes what a
	// container gets here).
	Attachable  bool              `json:"attachable,omitempty"`
	IPAMOptions map[string]string `json:"ipamOptions,omitempty"`
}

// HasIPv4 tells a network with IPv4 from an IPv6-only one (--ipv4=false),
// which has no IPv4 subnet.
func (n *Network) HasIPv4() bool { return n.Subnet != "" }

// IPv6Only is a network made with --ipv4=false (the pseudo-networks host
// and none have no subnet either, and are not).
func (n *Network) IPv6Only() bool { return n.Subnet == "" && n.Subnet6 != "" }

// NetworkOptions are the inputs of `jinn network create`.
type NetworkOptions struct {
	Subnet   string // CIDR; empty picks a free /24
	Gateway  string // empty picks the first address of the subnet
	Internal bool   // no route out of the bridge, no NAT
	MTU      int
	Labels   map[string]string
	// Bridge names the bridge (com.docker.network.bridge.name); "" picks one.
	Bridge       string
	IPRange      string
	AuxAddresses map[string]string
	NoICC        bool
	NoMasquerade bool
	IPv6         bool              // --ipv6
	NoIPv4       bool              // --ipv4=false: an IPv6-only network (with --ipv6)
	Subnet6      string            // the IPv6 --subnet
	Gateway6     string            // the IPv6 --gateway; "" is the subnet's ::1
	ConfigOnly   bool              // --config-only
	ConfigFrom   string            // --config-from
	Attachable   bool              // --attachable
	IPAMOptions  map[string]string // --ipam-opt
}

// Port is one published port: host [HostIP:]HostPort to container ContainerPort.
type Port struct {
	HostIP        string `json:"hostIP,omitempty"` // empty: every local address
	HostPort      int    `json:"hostPort"`         // 0 in a request: pick a free one
	ContainerPort int    `json:"containerPort"`
	Proto         string `json:"proto"` // "tcp" or "udp"
}

// Attachment is what the engine asks for when a container starts.
type Attachment struct {
	ContainerID string
	Name        string // container name; resolvable on user networks
	Hostname    string // defaults to the first 12 characters of ContainerID
	NetnsPath   string // bind-mounted nsfs file made by NewNetns
	Network     string // network name; "" means DefaultNetwork
	IP          string // requested address; "" allocates one
	IP6         string // requested IPv6 address (--ip6) on a dual-stack or IPv6-only network
	Aliases     []string
	// LinkLocalIPs are more addresses on the interface (--link-local-ip);
	// IfName and GwPriority are the API's EndpointConfig of the network.
	LinkLocalIPs []string
	IfName       string
	GwPriority   int
	Ports        []Port
	ExtraHosts   []string // "name:ip" as docker's --add-host
	DNS          []string // nameservers for resolv.conf; overrides the default
	DNSSearch    []string
	DNSOptions   []string // resolv.conf options; override the host's
	MAC          string   // --mac-address of the first interface; "" lets the kernel pick
	IngressRate  uint64   // bits per second into the container; 0 = unlimited
	EgressRate   uint64   // bits per second out of the container; 0 = unlimited
	// FilesDir is where hosts, hostname and resolv.conf go; default: a
	// directory of the Manager's (removed by Teardown).
	FilesDir string
}

// Endpoint is one container interface on one network, as persisted.
type Endpoint struct {
	Network  string   `json:"network"`
	IfName   string   `json:"ifname"` // inside the container: eth0, eth1...
	HostVeth string   `json:"hostVeth"`
	IP       string   `json:"ip"`
	Prefix   int      `json:"prefix"`
	IP6      string   `json:"ip6,omitempty"` // on a dual-stack network
	Prefix6  int      `json:"prefix6,omitempty"`
	Gateway6 string   `json:"gateway6,omitempty"`
	Gateway  string   `json:"gateway"`
	MAC      string   `json:"mac"`
	Aliases  []string `json:"aliases,omitempty"`
	// LinkLocalIPs are more addresses on the interface (--link-local-ip).
	LinkLocalIPs []string `json:"linkLocalIPs,omitempty"`
	// GwPriority ranks the endpoint for the default route (gateways).
	GwPriority int `json:"gwPriority,omitempty"`
	// LinkHosts are the hosts entries ("name:ip") of its --link targets.
	LinkHosts []string `json:"linkHosts,omitempty"`
}

// Result tells the engine what was made: the endpoints, the resolved
// ports, and the files to bind-mount at /etc/hosts, /etc/hostname and
// /etc/resolv.conf.
type Result struct {
	Endpoints      []Endpoint
	Ports          []Port
	HostsPath      string
	HostnamePath   string
	ResolvConfPath string
}

// IP returns the first endpoint's address, or nil.
func (r *Result) IP() net.IP {
	if r == nil || len(r.Endpoints) == 0 {
		return nil
	}
	return net.ParseIP(r.Endpoints[0].IP)
}

// SetDriverOption sets one of docker's bridge driver options (-o, the API's
// Options): bridge name, MTU, ICC, masquerade.
func (o *NetworkOptions) SetDriverOption(k, v string) error {
	boolOpt := func() (bool, error) {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("invalid value %q for %s: want true or false", v, k)
		}
		return b, nil
	}
	switch k {
	case "com.docker.network.bridge.name":
		o.Bridge = v
	case "com.docker.network.driver.mtu":
		n, err := strconv.Atoi(v)
		if err != nil || n < 68 || n > 65535 {
			return fmt.Errorf("invalid MTU %q: want a number from 68 to 65535", v)
		}
		o.MTU = n
	case "com.docker.network.bridge.enable_icc":
		b, err := boolOpt()
		if err != nil {
			return err
		}
		o.NoICC = !b
	case "com.docker.network.bridge.enable_ip_masquerade":
		b, err := boolOpt()
		if err != nil {
			return err
		}
		o.NoMasquerade = !b
	default:
		return fmt.Errorf("network option %q is not supported by the bridge driver", k)
	}
	return nil
}
