package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
)

// The test binary doubles as the DNS server process: Manager starts
// os.Args[0] jinn-dns-child STATEDIR NETWORK.
func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == "jinn-dns-child" {
		if err := ServeDNS(context.Background(), os.Args[2], os.Args[3], os.NewFile(3, "ready")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func randID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "network" + hex.EncodeToString(b)
}

// newManager returns a Manager on a fresh state dir whose every trace is
// checked to be gone when the test ends.
func newManager(t *testing.T) *Manager {
	t.Helper()
	needRoot(t)
	m, err := Open(Config{StateDir: filepath.Join(t.TempDir(), "net"), DNSCommand: []string{os.Args[0], "jinn-dns-child"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		ids, _ := m.Containers()
		for _, id := range ids {
			if err := m.Teardown(ctx, id); err != nil {
				t.Errorf("teardown %s: %v", id, err)
			}
		}
		if _, err := m.PruneNetworks(ctx); err != nil {
			t.Errorf("prune: %v", err)
		}
		assertClean(t, m)
	})
	return m
}

// assertClean checks that nothing of m is left on the host.
func assertClean(t *testing.T, m *Manager) {
	t.Helper()
	links, _ := netlink.LinkList()
	nets, _ := m.loadNetworks()
	for _, l := range links {
		name := l.Attrs().Name
		if name == m.cfg.DefaultBridge {
			t.Errorf("default bridge %s left behind", name)
		}
		for _, n := range nets {
			if n.Name != DefaultNetwork && name == n.Bridge {
				t.Errorf("bridge %s of network %s left behind", name, n.Name)
			}
		}
		if v, ok := l.(*netlink.Veth); ok && l.Attrs().MasterIndex != 0 {
			if master, err := netlink.LinkByIndex(l.Attrs().MasterIndex); err == nil && strings.HasPrefix(master.Attrs().Name, "jinn") && master.Attrs().Name == m.cfg.DefaultBridge {
				t.Errorf("veth %s left on %s", v.Name, master.Attrs().Name)
			}
		}
	}
	if c, err := nftables.New(); err == nil {
		tables, _ := c.ListTables()
		for _, tb := range tables {
			if tb.Name == m.cfg.Table {
				t.Errorf("nftables table %s left behind", tb.Name)
			}
		}
	}
	if ids, _ := m.Containers(); len(ids) > 0 {
		t.Errorf("network state left for %v", ids)
	}
	for _, n := range nets {
		if used, _ := m.usedIPs(n.Name); len(used) > 0 {
			t.Errorf("addresses still allocated on %s: %v", n.Name, used)
		}
		if m.dnsRunning(n.Name) != 0 {
			t.Errorf("dns server of %s still running", n.Name)
		}
	}
}

// newNetns makes a namespace for the test, removed at its end.
func newNetns(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "netns")
	if err := NewNetns(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := RemoveNetns(p); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("netns file %s left", p)
		}
	})
	return p
}

// container is a test namespace set up by m.
type container struct {
	id, ns string
	res    *Result
}

func setup(t *testing.T, m *Manager, a Attachment) *container {
	t.Helper()
	if a.ContainerID == "" {
		a.ContainerID = randID()
	}
	a.NetnsPath = newNetns(t)
	res, err := m.Setup(context.Background(), a)
	if err != nil {
		t.Fatalf("setup %s: %v", a.Name, err)
	}
	return &container{id: a.ContainerID, ns: a.NetnsPath, res: res}
}

// listenIn makes a TCP listener inside ns (a socket stays in the
// namespace it was made in) serving each connection with serve.
func listenIn(t *testing.T, ns, addr string, serve func(net.Conn)) net.Listener {
	t.Helper()
	var l net.Listener
	err := InNetns(ns, func() (err error) {
		l, err = net.Listen("tcp4", addr)
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", ns, err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); serve(c) }()
		}
	}()
	return l
}

func dialIn(ns, addr string, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := InNetns(ns, func() (err error) {
		c, err = net.DialTimeout("tcp4", addr, timeout)
		return err
	})
	return c, err
}

// hello is a server that writes a greeting and the peer's address.
func hello(c net.Conn) { fmt.Fprintf(c, "hello %s\n", c.RemoteAddr()) }

func readAll(t *testing.T, c net.Conn) string {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
