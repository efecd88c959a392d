package cli

import (
	"net"

	"github.com/spf13/pflag"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/network"
)

// netFlags are run/create's network flags beside --network and -p.
type netFlags struct {
	publishAll              bool
	ip, ip6                 string
	aliases, addHosts, dns  []string
	dnsSearch, expose       []string
	ingressRate, egressRate string
}

func (f *netFlags) register(fs *pflag.FlagSet) {
	fs.BoolVarP(&f.publishAll, "publish-all", "P", false, "Publish all exposed ports to random ports")
	stringArrayVar(fs, &f.expose, "expose", nil, "Expose a port or a range of ports")
	fs.StringVar(&f.ip, "ip", "", "IPv4 address (e.g., 172.30.100.104)")
	fs.StringVar(&f.ip6, "ip6", "", "IPv6 address (e.g., 2001:db8::33)")
	stringArrayVar(fs, &f.aliases, "network-alias", nil, "Add network-scoped alias for the container")
	stringArrayVar(fs, &f.addHosts, "add-host", nil, "Add a custom host-to-IP mapping (host:ip)")
	stringArrayVar(fs, &f.dns, "dns", nil, "Set custom DNS servers")
	stringArrayVar(fs, &f.dnsSearch, "dns-search", nil, "Set custom DNS search domains")
	fs.StringVar(&f.ingressRate, "network-ingress-rate", "", "Limit traffic into the container (e.g. 10mbit)")
	fs.StringVar(&f.egressRate, "network-egress-rate", "", "Limit traffic out of the container (e.g. 10mbit)")
}

// apply checks the network flags into h; the engine checks them against
// the network mode at create.
func (f *netFlags) apply(h *engine.HostConfig, mode string, publish []string) error {
	if _, err := network.ParseMode(mode); err != nil {
		return badFlag("%v", err)
	}
	h.NetworkMode = mode
	n := &h.NetConfig
	for _, p := range publish {
		ports, err := network.ParsePort(p)
		if err != nil {
			return badFlag("%v", err)
		}
		n.PortSpecs = append(n.PortSpecs, ports...)
	}
	for _, e := range f.expose {
		if _, err := network.ParsePort(e); err != nil {
			return badFlag("invalid --expose %q", e)
		}
		n.ExposedPorts = append(n.ExposedPorts, e)
	}
	n.PublishAllPorts = f.publishAll
	if f.ip != "" {
		if ip := net.ParseIP(f.ip); ip == nil || ip.To4() == nil {
			return badFlag("invalid IPv4 address: %s", f.ip)
		}
		n.IPAddress = f.ip
	}
	if f.ip6 != "" {
		if ip := net.ParseIP(f.ip6); ip == nil || ip.To4() != nil {
			return badFlag("invalid IPv6 address: %s", f.ip6)
		}
		n.IP6Address = f.ip6
	}
	for _, h := range f.addHosts {
		if _, _, err := network.ParseExtraHost(h); err != nil {
			return badFlag("%v", err)
		}
	}
	for _, d := range f.dns {
		if net.ParseIP(d) == nil {
			return badFlag("%s is not an ip address", d)
		}
	}
	n.NetworkAliases, n.ExtraHosts, n.DNS, n.DNSSearch = f.aliases, f.addHosts, f.dns, f.dnsSearch
	var err error
	if f.ingressRate != "" {
		if n.NetworkIngressRate, err = network.ParseRate(f.ingressRate); err != nil {
			return badFlag("--network-ingress-rate: %v", err)
		}
	}
	if f.egressRate != "" {
		if n.NetworkEgressRate, err = network.ParseRate(f.egressRate); err != nil {
			return badFlag("--network-egress-rate: %v", err)
		}
	}
	return nil
}
