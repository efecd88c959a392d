package network

import (
	"fmt"
	"net"
)

// resolvePorts checks requested ports against those other containers
// published and picks free host ports where HostPort is 0. With DNAT no
// socket holds a published port, so a port is free when no jinn container
// has it and the host can bind it right now.
func (m *Manager) resolvePorts(self string, req []Port) ([]Port, error) {
	if len(req) == 0 {
		return nil, nil // no other container's record to read
	}
	ctrs, err := m.loadContainers()
	if err != nil {
		return nil, err
	}
	taken := map[string]string{} // proto/port -> container
	for _, c := range ctrs {
		if c.ID == self {
			continue
		}
		for _, p := range c.Ports {
			taken[fmt.Sprintf("%s/%d", p.Proto, p.HostPort)] = c.ID
		}
	}
	var out []Port
	for _, p := range req {
		if p.Proto == "" {
			p.Proto = "tcp"
		}
		if p.HostPort == 0 {
			hp, err := freePort(p.Proto, taken)
			if err != nil {
				return nil, err
			}
			p.HostPort = hp
		} else if other, ok := taken[fmt.Sprintf("%s/%d", p.Proto, p.HostPort)]; ok {
			return nil, fmt.Errorf("host port %d/%s is already published by container %s", p.HostPort, p.Proto, shortID(other))
		}
		taken[fmt.Sprintf("%s/%d", p.Proto, p.HostPort)] = self
		out = append(out, p)
	}
	return out, nil
}

// freePort asks the kernel for an ephemeral port, as docker's random
// ports come from the ephemeral range.
func freePort(proto string, taken map[string]string) (int, error) {
	for i := 0; i < 100; i++ {
		var port int
		if proto == "udp" {
			c, err := net.ListenPacket("udp4", ":0")
			if err != nil {
				return 0, fmt.Errorf("pick a host port: %w", err)
			}
			port = c.LocalAddr().(*net.UDPAddr).Port
			c.Close()
		} else {
			l, err := net.Listen("tcp4", ":0")
			if err != nil {
				return 0, fmt.Errorf("pick a host port: %w", err)
			}
			port = l.Addr().(*net.TCPAddr).Port
			l.Close()
		}
		if _, ok := taken[fmt.Sprintf("%s/%d", proto, port)]; !ok {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free %s host port", proto)
}
