package network

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// waitLinkGone polls for the kernel's namespace teardown (cleanup_net, a
// workqueue waiting for grace periods) to delete the veth: asynchronous,
// so the test gives it releaseBound.
func waitLinkGone(t *testing.T, name string) {
	t.Helper()
	for deadline := time.Now().Add(releaseBound); linkExists(name); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("veth %s still there %v after its namespace was unbound", name, releaseBound)
		}
	}
}

func TestReleaseVethGoesWithNamespace(t *testing.T) {
	m := newManager(t)
	ctx := context.Background()
	a := setup(t, m, Attachment{Name: "alpha"})
	veth := a.res.Endpoints[0].HostVeth
	if err := m.Release(ctx, a.id, func() error { return RemoveNetns(a.ns) }); err != nil {
		t.Fatal(err)
	}
	if ids, _ := m.Containers(); len(ids) != 0 {
		t.Errorf("records left after release: %v", ids)
	}
	waitLinkGone(t, veth)
	unlock, err := m.lock()
	if err != nil {
		t.Fatal(err)
	}
	m.sweepReleases(false)
	unlock()
	if _, err := os.Stat(m.releasePath(a.id)); !os.IsNotExist(err) {
		t.Errorf("release record of %s left after its veth went: %v", a.id, err)
	}
}

// A namespace something else still holds (here an fd) keeps the veth:
// its address stays taken, a --ip for it takes it back, and a sweep after
// releaseBound deletes it.
func TestReleaseHeldNamespace(t *testing.T) {
	m := newManager(t)
	ctx := context.Background()
	hold := func(c *container) *os.File {
		f, err := os.Open(c.ns)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	a := setup(t, m, Attachment{Name: "alpha"})
	ip, veth := a.res.IP().String(), a.res.Endpoints[0].HostVeth
	hold(a)
	if err := m.Release(ctx, a.id, func() error { return RemoveNetns(a.ns) }); err != nil {
		t.Fatal(err)
	}
	if !linkExists(veth) {
		t.Fatalf("veth %s gone though its namespace is held", veth)
	}
	if used, _ := m.usedIPs(DefaultNetwork); !used[ip] {
		t.Errorf("address %s of a veth still there is free: %v", ip, used)
	}
	b := setup(t, m, Attachment{Name: "beta"})
	if b.res.IP().String() == ip {
		t.Errorf("beta got the released address %s while its veth is there", ip)
	}
	c := setup(t, m, Attachment{Name: "gamma", IP: ip})
	if linkExists(veth) {
		t.Errorf("--ip %s did not take the address back from veth %s", ip, veth)
	}
	if got := c.res.IP().String(); got != ip {
		t.Errorf("gamma got %s, want %s", got, ip)
	}

	// Past the bound, a sweep deletes what the kernel did not.
	d := setup(t, m, Attachment{Name: "delta"})
	veth = d.res.Endpoints[0].HostVeth
	hold(d)
	if err := m.Release(ctx, d.id, func() error { return RemoveNetns(d.ns) }); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-2 * releaseBound)
	if err := os.Chtimes(m.releasePath(d.id), past, past); err != nil {
		t.Fatal(err)
	}
	if err := m.Teardown(ctx, b.id); err != nil { // sweeps
		t.Fatal(err)
	}
	if linkExists(veth) {
		t.Errorf("veth %s of a release past %v still there after a sweep", veth, releaseBound)
	}
	if _, err := os.Stat(m.releasePath(d.id)); !os.IsNotExist(err) {
		t.Errorf("release record of %s left: %v", d.id, err)
	}
}

// BenchmarkSetup times Setup on the default network with its bridge and
// rules already there (another container keeps them), as a `run` does.
func BenchmarkSetup(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	m, err := Open(Config{StateDir: filepath.Join(b.TempDir(), "net")})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	dir := b.TempDir()
	mk := func(i int) (string, string) {
		id, ns := randID(), filepath.Join(dir, "ns"+strconv.Itoa(i))
		if err := NewNetns(ns); err != nil {
			b.Fatal(err)
		}
		return id, ns
	}
	keepID, keepNS := mk(-1)
	if _, err := m.Setup(ctx, Attachment{ContainerID: keepID, NetnsPath: keepNS}); err != nil {
		b.Fatal(err)
	}
	defer func() {
		m.Release(ctx, keepID, func() error { return RemoveNetns(keepNS) })
		m.PruneNetworks(ctx)
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id, ns := mk(i)
		b.StartTimer()
		if _, err := m.Setup(ctx, Attachment{ContainerID: id, NetnsPath: ns}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		m.Release(ctx, id, func() error { return RemoveNetns(ns) })
		b.StartTimer()
	}
}
