package network

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// writeFiles writes the container's hosts, hostname and resolv.conf into
// dir; the engine bind-mounts them over the image's files.
func writeFiles(dir string, c *containerState, nets map[string]*Network, hostResolv string, hostNet bool) (hosts, hostname, resolv string, err error) {
	var hb bytes.Buffer
	if hostNet {
		if data, err := os.ReadFile("/etc/hosts"); err == nil {
			hb.Write(data)
			if !bytes.HasSuffix(data, []byte("\n")) {
				hb.WriteByte('\n')
			}
		}
	} else {
		hb.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	}
	extra := c.ExtraHosts
	for _, ep := range c.Endpoints {
		extra = append(slices.Clip(extra), ep.LinkHosts...)
	}
	for _, h := range extra {
		name, ip, err := ParseExtraHost(h)
		if err != nil {
			return "", "", "", err
		}
		if ip == HostGateway {
			if ip = hostGatewayIP(c, nets, hostNet); ip == "" {
				continue // no network: nothing of the host is reachable
			}
		}
		fmt.Fprintf(&hb, "%s\t%s\n", ip, name)
	}
	names := []string{c.Hostname}
	if c.Name != "" && c.Name != c.Hostname {
		names = append(names, c.Name)
	}
	for _, ep := range c.Endpoints {
		if ep.IP != "" {
			fmt.Fprintf(&hb, "%s\t%s\n", ep.IP, strings.Join(names, " "))
		}
		if ep.IP6 != "" {
			fmt.Fprintf(&hb, "%s\t%s\n", ep.IP6, strings.Join(names, " "))
		}
	}
	if len(c.Endpoints) == 0 && !hostNet {
		fmt.Fprintf(&hb, "127.0.1.1\t%s\n", strings.Join(names, " "))
	}

	var rb bytes.Buffer
	servers, search, opts := parseResolv(hostResolv)
	var useDNS bool
	for _, ep := range c.Endpoints {
		if n := nets[ep.Network]; n != nil && n.DNS {
			useDNS = true
			servers = []string{n.dnsAddr()}
			break
		}
	}
	if !useDNS && !hostNet {
		servers = nonLocal(servers) // the host's 127.0.0.53 is not reachable from a namespace
	}
	if len(c.DNS) > 0 {
		servers = c.DNS
	}
	if len(c.DNSSearch) > 0 {
		search = c.DNSSearch
	}
	if len(c.DNSOptions) > 0 {
		opts = c.DNSOptions
	}
	for _, s := range servers {
		fmt.Fprintf(&rb, "nameserver %s\n", s)
	}
	if len(search) > 0 {
		fmt.Fprintf(&rb, "search %s\n", strings.Join(search, " "))
	}
	if len(opts) > 0 {
		fmt.Fprintf(&rb, "options %s\n", strings.Join(opts, " "))
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", "", fmt.Errorf("create %s: %w", dir, err)
	}
	hosts, hostname, resolv = filepath.Join(dir, "hosts"), filepath.Join(dir, "hostname"), filepath.Join(dir, "resolv.conf")
	for _, f := range []struct {
		path string
		data []byte
	}{{hosts, hb.Bytes()}, {hostname, []byte(c.Hostname + "\n")}, {resolv, rb.Bytes()}} {
		if err := rewriteFile(f.path, f.data); err != nil {
			return "", "", "", fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	return hosts, hostname, resolv, nil
}

// rewriteFile writes a container's file: a new one by rename, one that
// exists in place, as a running container has it bind-mounted (a rename
// would leave it the old one after a connect or disconnect).
func rewriteFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC|unix.O_NOFOLLOW, 0)
	if errors.Is(err, os.ErrNotExist) {
		return writeFileAtomic(path, data, 0o644)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

// HostGateway is docker's special --add-host address: the host as the
// container reaches it.
const HostGateway = "host-gateway"

// hostGatewayIP is the host's address on the container's first network
// (its bridge's gateway), or loopback on the host's network.
func hostGatewayIP(c *containerState, nets map[string]*Network, hostNet bool) string {
	if hostNet {
		return "127.0.0.1"
	}
	for _, ep := range c.Endpoints {
		if n := nets[ep.Network]; n != nil && n.Gateway != "" {
			return n.Gateway
		}
		if n := nets[ep.Network]; n != nil && n.Gateway6 != "" {
			return n.Gateway6
		}
	}
	return ""
}

// ParseExtraHost parses --add-host "name:ip" (docker also accepts "name=ip"
// and the address host-gateway).
func ParseExtraHost(s string) (name, ip string, err error) {
	name, ip, ok := strings.Cut(s, "=")
	if !ok {
		name, ip, ok = strings.Cut(s, ":")
	}
	ip = strings.Trim(ip, "[]")
	if !ok || name == "" || (ip != HostGateway && net.ParseIP(ip) == nil) || strings.ContainsAny(name, " \t\n") {
		return "", "", fmt.Errorf("invalid --add-host %q: want name:ip", s)
	}
	return name, ip, nil
}

func parseResolv(path string) (servers, search, opts []string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch fields[0] {
		case "nameserver":
			servers = append(servers, fields[1])
		case "search", "domain":
			search = fields[1:]
		case "options":
			opts = fields[1:]
		}
	}
	return servers, search, opts
}

func nonLocal(servers []string) []string {
	var out []string
	for _, s := range servers {
		if ip := net.ParseIP(s); ip != nil && !ip.IsLoopback() {
			out = append(out, s)
		}
	}
	return out
}
