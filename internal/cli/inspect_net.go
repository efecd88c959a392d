package cli

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/engine"
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
			ns.IPAddress, ns.Gateway, ns.MacAddress = ep.IP, ep.Gateway, ep.MAC
		}
		ns.Networks[ep.Network] = map[string]any{
			"IPAddress": ep.IP, "IPPrefixLen": ep.Prefix, "Gateway": ep.Gateway,
			"MacAddress": ep.MAC, "Aliases": ep.Aliases,
			"GlobalIPv6Address": ep.IP6, "GlobalIPv6PrefixLen": ep.Prefix6,
		}
	}
	ports, _ := m.Ports(v.ID)
	for _, p := range ports {
		key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Proto)
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
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
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		cols = append(cols, fmt.Sprintf("%s:%d->%d/%s", ip, p.HostPort, p.ContainerPort, p.Proto))
	}
	return strings.Join(cols, ", ")
}
