package network

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ParsePort parses one -p value: [ip:][hostPort:]containerPort[/tcp|udp],
// with ranges "8000-8002:80-82" expanding to one Port each. A missing
// hostPort (or "ip::containerPort") leaves HostPort 0: pick a free one.
func ParsePort(spec string) ([]Port, error) {
	bad := func(why string) ([]Port, error) {
		return nil, fmt.Errorf("invalid port %q: %s", spec, why)
	}
	s, proto := spec, "tcp"
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s, proto = s[:i], strings.ToLower(s[i+1:])
		if proto != "tcp" && proto != "udp" {
			return bad("protocol must be tcp or udp")
		}
	}
	var hostIP, hostPart, ctrPart string
	if rest, ok := strings.CutPrefix(s, "["); ok { // [v6addr]:hostPort:containerPort
		ip, after, ok := strings.Cut(rest, "]:")
		if h := net.ParseIP(ip); !ok || h == nil || h.To4() != nil {
			return bad("want [IPv6 address]:hostPort:containerPort")
		}
		hostPart, ctrPart, ok = strings.Cut(after, ":")
		if !ok {
			return bad("want [IPv6 address]:hostPort:containerPort")
		}
		return portsOf(spec, net.ParseIP(ip).String(), hostPart, ctrPart, proto)
	}
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 1:
		ctrPart = parts[0]
	case 2:
		hostPart, ctrPart = parts[0], parts[1]
	case 3:
		hostIP, hostPart, ctrPart = parts[0], parts[1], parts[2]
		if ip := net.ParseIP(hostIP); ip == nil || ip.To4() == nil {
			return bad("host address must be an IPv4 address")
		}
	default:
		return bad("want [ip:][hostPort:]containerPort[/proto]")
	}
	return portsOf(spec, hostIP, hostPart, ctrPart, proto)
}

// portsOf expands one -p value's parts into its ports.
func portsOf(spec, hostIP, hostPart, ctrPart, proto string) ([]Port, error) {
	bad := func(why string) ([]Port, error) {
		return nil, fmt.Errorf("invalid port %q: %s", spec, why)
	}
	cLo, cHi, err := portRange(ctrPart)
	if err != nil {
		return bad(err.Error())
	}
	hLo, hHi := 0, 0
	if hostPart != "" {
		if hLo, hHi, err = portRange(hostPart); err != nil {
			return bad(err.Error())
		}
		if hHi-hLo != cHi-cLo {
			return bad("host and container port ranges differ in size")
		}
	}
	var out []Port
	for i := 0; i <= cHi-cLo; i++ {
		p := Port{HostIP: hostIP, ContainerPort: cLo + i, Proto: proto}
		if hLo != 0 {
			p.HostPort = hLo + i
		}
		out = append(out, p)
	}
	return out, nil
}

func portRange(s string) (int, int, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := portNum(lo)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return a, a, nil
	}
	b, err := portNum(hi)
	if err != nil {
		return 0, 0, err
	}
	if b < a || b-a > 1000 {
		return 0, 0, fmt.Errorf("bad port range %s", s)
	}
	return a, b, nil
}

func portNum(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q must be a number from 1 to 65535", s)
	}
	return n, nil
}

// String formats a port as `docker port` does: "80/tcp -> 0.0.0.0:32768".
func (p Port) String() string {
	return fmt.Sprintf("%d/%s -> %s", p.ContainerPort, p.Proto, p.HostAddr())
}

// HostAddr is where the port is published, as docker writes it:
// "0.0.0.0:8080", "[::]:8080".
func (p Port) HostAddr() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return net.JoinHostPort(ip, strconv.Itoa(p.HostPort))
}

// ParseRate parses a tc-style rate such as "10mbit", "512kbit", "1gbit",
// "2mbps" (bytes) or a plain number of bits per second.
func ParseRate(s string) (uint64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	units := []struct {
		suffix string
		mult   float64
	}{
		{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1},
		{"gbps", 8e9}, {"mbps", 8e6}, {"kbps", 8e3}, {"bps", 8},
		{"g", 1e9}, {"m", 1e6}, {"k", 1e3},
	}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("invalid rate %q: want e.g. 10mbit, 512kbit, 1gbit", s)
	}
	r := f * mult
	if r < 8000 {
		return 0, fmt.Errorf("invalid rate %q: below 8kbit", s)
	}
	return uint64(r), nil
}
