package network

import (
	"io"
	"net"
	"strconv"
	"testing"
)

// BenchmarkPublishedPort is the measurement behind publishing ports with
// DNAT (route_localnet) rather than a userland proxy: host 127.0.0.1 to a
// container, throughput of a 32 MiB stream and connect+echo latency.
//
//	go test -run '^$' -bench PublishedPort ./internal/network/
func BenchmarkPublishedPort(b *testing.B) {
	m, err := Open(Config{StateDir: b.TempDir() + "/net"})
	if err != nil {
		b.Fatal(err)
	}
	ns := b.TempDir() + "/ns"
	if err := NewNetns(ns); err != nil {
		b.Fatal(err)
	}
	defer RemoveNetns(ns)
	res, err := m.Setup(b.Context(), Attachment{ContainerID: randID(), NetnsPath: ns, Ports: []Port{{HostIP: "127.0.0.1", ContainerPort: 7000, Proto: "tcp"}}})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ids, _ := m.Containers()
		for _, id := range ids {
			m.Teardown(b.Context(), id)
		}
		m.PruneNetworks(b.Context()) // the default bridge stays up until pruned
	}()
	var l net.Listener
	InNetns(ns, func() (err error) { l, err = net.Listen("tcp4", ":7000"); return })
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	// The userland proxy: what docker-proxy does, in-process.
	pl, _ := net.Listen("tcp4", "127.0.0.1:0")
	defer pl.Close()
	target := net.JoinHostPort(res.IP().String(), "7000")
	go func() {
		for {
			c, err := pl.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp4", target)
				if err != nil {
					return
				}
				defer u.Close()
				go func() { io.Copy(u, c); u.(*net.TCPConn).CloseWrite() }()
				io.Copy(c, u)
			}()
		}
	}()
	for _, tc := range []struct{ name, addr string }{
		{"dnat", "127.0.0.1:" + strconv.Itoa(res.Ports[0].HostPort)},
		{"proxy", pl.Addr().String()},
		{"direct", target},
	} {
		b.Run(tc.name+"/stream", func(b *testing.B) {
			const n = 32 << 20
			b.SetBytes(n)
			for i := 0; i < b.N; i++ {
				c, err := net.Dial("tcp4", tc.addr)
				if err != nil {
					b.Fatal(err)
				}
				go func() { c.Write(make([]byte, n)); c.(*net.TCPConn).CloseWrite() }()
				io.Copy(io.Discard, c)
				c.Close()
			}
		})
		b.Run(tc.name+"/connect-echo", func(b *testing.B) {
			buf := []byte{1}
			for i := 0; i < b.N; i++ {
				c, err := net.Dial("tcp4", tc.addr)
				if err != nil {
					b.Fatal(err)
				}
				c.Write(buf)
				io.ReadFull(c, buf)
				c.Close()
			}
		})
	}
}
