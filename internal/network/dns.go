package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// ServeDNS answers DNS on the gateway address of a user network, as
// docker's 127.0.0.11 does: container names, hostnames, short ids and
// aliases of the containers on that network resolve to their addresses;
// other names go to the host's resolvers. Records are read from the state
// dir (written atomically by Setup/Teardown), so the server holds no state
// of its own. It returns when ctx ends or the network is removed. ready, if
// not nil, is closed once the socket is bound.
func ServeDNS(ctx context.Context, stateDir, network string, ready *os.File) error {
	m := &Manager{cfg: Config{StateDir: stateDir}}
	n, err := m.loadNetwork(network)
	if err != nil {
		return err
	}
	pc, err := net.ListenPacket("udp", net.JoinHostPort(n.dnsAddr(), "53"))
	if err != nil {
		return fmt.Errorf("dns for network %s: %w", network, err)
	}
	defer pc.Close()
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	// Its own pid file too: a CLI killed between starting it and writing
	// the file would leave a server network rm cannot find.
	writeFileAtomic(m.dnsPidPath(network), []byte(strconv.Itoa(os.Getpid())), 0o644)
	if ready != nil {
		ready.Write([]byte{1})
		ready.Close()
	}
	upstream, _, _ := parseResolv("/etc/resolv.conf")
	buf := make([]byte, 1500)
	for ctx.Err() == nil {
		pc.SetReadDeadline(time.Now().Add(2 * time.Second))
		nr, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if _, err := os.Stat(m.netPath(network)); errors.Is(err, os.ErrNotExist) {
					return nil // network removed: nothing left to serve
				}
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("dns read: %w", err)
		}
		resp, err := m.answer(network, buf[:nr], upstream)
		if err != nil {
			slog.Debug("dns query", "err", err)
			continue
		}
		pc.WriteTo(resp, from)
	}
	return nil
}

// dnsAddr is where the network's DNS server listens: its IPv4 gateway,
// or on an IPv6-only network its IPv6 one.
func (n *Network) dnsAddr() string {
	if n.HasIPv4() {
		return n.Gateway
	}
	return n.Gateway6
}

// answer builds the reply to one query.
func (m *Manager) answer(network string, q []byte, upstream []string) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil, err
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 {
		return nil, fmt.Errorf("want one question")
	}
	question := qs[0]
	name := strings.ToLower(strings.TrimSuffix(question.Name.String(), "."))
	ip, ip6 := m.lookup(network, name)
	found := ip != nil || ip6 != nil
	if !found {
		if len(upstream) > 0 && !strings.HasSuffix(name, "."+network) {
			if resp, err := forward(q, upstream); err == nil {
				return resp, nil
			}
		}
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: found, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	if !found {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	b.StartQuestions()
	b.Question(question)
	b.StartAnswers()
	if ip != nil && question.Type == dnsmessage.TypeA && question.Class == dnsmessage.ClassINET {
		var a [4]byte
		copy(a[:], ip.To4())
		rr := dnsmessage.ResourceHeader{Name: question.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 0}
		if err := b.AResource(rr, dnsmessage.AResource{A: a}); err != nil {
			return nil, err
		}
	}
	if ip6 != nil && question.Type == dnsmessage.TypeAAAA && question.Class == dnsmessage.ClassINET {
		var a [16]byte
		copy(a[:], ip6.To16())
		rr := dnsmessage.ResourceHeader{Name: question.Name, Type: dnsmessage.TypeAAAA, Class: dnsmessage.ClassINET, TTL: 0}
		if err := b.AAAAResource(rr, dnsmessage.AAAAResource{AAAA: a}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// lookup finds name ("web", "web.mynet", a short id or an alias) among
// the containers on network: its IPv4 address and, on a dual-stack
// network, its IPv6 one.
func (m *Manager) lookup(network, name string) (net.IP, net.IP) {
	name = strings.TrimSuffix(name, "."+network)
	ctrs, err := m.loadContainers()
	if err != nil {
		return nil, nil
	}
	for _, c := range ctrs {
		for _, ep := range c.Endpoints {
			if ep.Network != network {
				continue
			}
			cands := append([]string{c.Name, c.Hostname}, ep.Aliases...)
			if len(c.ID) >= 12 {
				cands = append(cands, c.ID[:12])
			}
			for _, cand := range cands {
				if cand != "" && strings.EqualFold(cand, name) {
					return net.ParseIP(ep.IP), net.ParseIP(ep.IP6)
				}
			}
		}
	}
	return nil, nil
}

func forward(q []byte, upstream []string) ([]byte, error) {
	var lastErr error
	for _, s := range upstream {
		conn, err := net.DialTimeout("udp", net.JoinHostPort(s, "53"), time.Second)
		if err != nil {
			lastErr = err
			continue
		}
		conn.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := conn.Write(q); err != nil {
			conn.Close()
			lastErr = err
			continue
		}
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		conn.Close()
		if err != nil {
			lastErr = err
			continue
		}
		return buf[:n], nil
	}
	return nil, lastErr
}
