package cli

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/network"
)

// networkSettings fills inspect's NetworkSettings from the network state:
// docker's IPAddress, Gateway, MacAddress, Ports and Networks.
func networkSettings(o *Options, v *engine.View) networkJSON {
	ns := networkJSON{SandboxKey: filepath.Join(o.RunRoot, "netns", v.ID), Ports: map[string]any{}, Networks: map[string]any{}}
	m, err := o.networks()
	if err != nil {
		return ns
	}
	eps, err := m.Endpoints(v.ID)
	if err != nil || len(eps) == 0 {
		ns.Networks[v.Host.NetworkMode] = map[string]any{}
		return ns
	}
	for i, ep := range eps {
		if i == 0 {
			ns.IPAddress, ns.IPPrefixLen, ns.Gateway, ns.MacAddress = ep.IP, ep.Prefix, ep.Gateway, ep.MAC
			ns.GlobalIPv6Address, ns.GlobalIPv6PrefixLen, ns.IPv6Gateway = ep.IP6, ep.Prefix6, ep.Gateway6
		}
		ns.Networks[ep.Network] = map[string]any{
			"IPAddress": ep.IP, "IPPrefixLen": ep.Prefix, "Gateway": ep.Gateway,
			"MacAddress": ep.MAC, "Aliases": ep.Aliases,
			"GlobalIPv6Address": ep.IP6, "GlobalIPv6PrefixLen": ep.Prefix6, "IPv6Gateway": ep.Gateway6,
			"GwPriority": ep.GwPriority, "IPAMConfig": endpointIPAM(ep), "DriverOpts": endpointDriverOpts(ep),
		}
	}
	ports, _ := m.Ports(v.ID)
	for _, p := range ports {
		key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Proto)
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		if h := net.ParseIP(ip); h != nil {
			ip = h.String()
		}
		prev, _ := ns.Ports[key].([]map[string]string)
		ns.Ports[key] = append(prev, map[string]string{"HostIp": ip, "HostPort": strconv.Itoa(p.HostPort)})
	}
	return ns
}

// portsColumn is ps's PORTS: "127.0.0.1:8080->80/tcp, 0.0.0.0:32768->53/udp".
func portsColumn(o *Options, v *engine.View) string {
	m, err := o.networks()
	if err != nil {
		return ""
	}
	ports, _ := m.Ports(v.ID)
	var cols []string
	for _, p := range ports {
		cols = append(cols, fmt.Sprintf("%s->%d/%s", p.HostAddr(), p.ContainerPort, p.Proto))
	}
	return strings.Join(cols, ", ")
}

// endpointIPAM is an endpoint's IPAMConfig as docker shows it: the
// link-local addresses asked for (nil without).
func endpointIPAM(ep network.Endpoint) map[string]any {
	if len(ep.LinkLocalIPs) == 0 {
		return nil
	}
	return map[string]any{"LinkLocalIPs": ep.LinkLocalIPs}
}

// endpointDriverOpts names an interface that is not the next ethN.
func endpointDriverOpts(ep network.Endpoint) map[string]string {
	if strings.HasPrefix(ep.IfName, "eth") {
		return nil
	}
	return map[string]string{network.IfNameOption: ep.IfName}
}
