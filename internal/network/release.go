package network

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// A removed container's veths are left to the kernel: the container's end
// lives in its namespace, and once the namespace's last reference goes (its
// bind mount, the engine's fd, the container's processes) the kernel's
// asynchronous teardown (cleanup_net) deletes every device in it, each
// veth with its peer on the host. Deleting the host end ourselves waits for
// an rcu_barrier (rtnl_dellink -> netdev_run_todo): 11-28 ms that every
// `run --rm` on a bridge paid at its end.
//
// Until the kernel is done the veth is still on the bridge with the
// container's addresses on its peer, so a record of it stays (a
// "release", under releasing/): its addresses count as used, a --ip or
// --ip6 asking for one of them deletes its veths first (reclaim), network
// rm and prune delete them, and a sweep at every setup and teardown drops
// the records whose veths are gone and deletes the veths of those older
// than releaseBound (a namespace something else still holds: a container
// that joined it with --network container:, an fd of another process).

// releaseBound is how long the kernel gets before a sweep deletes a
// released veth itself: cleanup_net waits for grace periods on a
// workqueue, milliseconds quiet and up to a second or so under load.
const releaseBound = 5 * time.Second

// release is what a removed container left to the kernel: its record,
// linked under releasing/ at its removal (Since: the link's mtime).
type release struct {
	*containerState
	Since time.Time
}

// veths and ips of the release (on network).
func (r *release) veths() []string {
	var out []string
	for _, ep := range r.Endpoints {
		out = append(out, ep.HostVeth)
	}
	return out
}

func (r *release) ips(network string) []string {
	var out []string
	for _, ep := range r.Endpoints {
		if ep.Network != network {
			continue
		}
		for _, ip := range []string{ep.IP, ep.IP6} {
			if ip != "" {
				out = append(out, ip)
			}
		}
	}
	return out
}

func (m *Manager) releasePath(id string) string {
	return filepath.Join(m.cfg.StateDir, "releasing", id+".json")
}

// Release is Teardown for a container whose network namespace goes away
// with it: unbind drops the namespace's bind mount (the engine's), and the
// kernel deletes the veths with the namespace. Rules, records and files go
// now, as Teardown's. Without a readable record it is Teardown.
func (m *Manager) Release(ctx context.Context, containerID string, unbind func() error) error {
	if _, err := os.Stat(m.ctrPath(containerID)); errors.Is(err, os.ErrNotExist) {
		os.RemoveAll(m.FilesDir(containerID))
		return unbind()
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	c, err := m.loadContainer(containerID)
	if err != nil {
		// Lost or damaged: by name, as Teardown does.
		return errors.Join(m.teardownLocked(containerID, nil, true), unbind())
	}
	// The release is the record under a second name (no new inode to
	// make): killed after it, the record itself is still there and the
	// next teardown (prune) repeats this.
	if len(c.Endpoints) > 0 {
		if err := m.linkRelease(containerID); err != nil {
			return errors.Join(m.teardownLocked(containerID, c, false), unbind())
		}
	}
	// The unmount waits for a grace period, the rules' rebuild for
	// nf_tables: side by side. The record goes once the namespace is
	// unbound, so that a kill before leaves it for prune to find.
	var wg sync.WaitGroup
	var uerr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		uerr = unbind()
	}()
	errs := []error{m.syncRulesExcept(containerID)}
	wg.Wait()
	errs = append(errs, uerr)
	if uerr != nil {
		// Still bound: the kernel would not delete the veths.
		errs = append(errs, m.reclaimRelease(containerID))
	}
	errs = append(errs, m.dropRecords(containerID))
	m.sweepReleases(false)
	return errors.Join(errs...)
}

// dropRecords removes the container's record and files and stops DNS
// servers no network needs any more.
func (m *Manager) dropRecords(containerID string) error {
	var errs []error
	if err := os.Remove(m.ctrPath(containerID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(m.FilesDir(containerID)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(append(errs, m.gcNetworks())...)
}

func (m *Manager) linkRelease(id string) error {
	p := m.releasePath(id)
	err := os.Link(m.ctrPath(id), p)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		err = os.Link(m.ctrPath(id), p)
	}
	if errors.Is(err, os.ErrExist) { // a release cut short, or a stale one
		os.Remove(p)
		err = os.Link(m.ctrPath(id), p)
	}
	if err != nil {
		return err
	}
	now := time.Now()
	return os.Chtimes(p, now, now)
}

func (m *Manager) loadReleases() []*release {
	dir := filepath.Join(m.cfg.StateDir, "releasing")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []*release
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			os.Remove(filepath.Join(dir, e.Name())) // an atomic write cut short
			continue
		}
		var c containerState
		fi, err := e.Info()
		if err == nil {
			err = readJSON(filepath.Join(dir, e.Name()), &c)
		}
		if err != nil || c.ID != id {
			os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		r := release{containerState: &c, Since: fi.ModTime()}
		out = append(out, &r)
	}
	return out
}

// sweepReleases forgets the releases whose veths the kernel has deleted,
// and deletes the veths of those older than releaseBound (all, with
// force). Called with the store's lock held.
func (m *Manager) sweepReleases(force bool) error {
	var errs []error
	for _, r := range m.loadReleases() {
		if force || time.Since(r.Since) > releaseBound {
			errs = append(errs, m.reclaimRelease(r.ID))
			continue
		}
		if !slices.ContainsFunc(r.veths(), linkExists) {
			os.Remove(m.releasePath(r.ID))
		}
	}
	return errors.Join(errs...)
}

// reclaimRelease deletes a release's veths now and forgets it.
func (m *Manager) reclaimRelease(id string) error {
	var c containerState
	if err := readJSON(m.releasePath(id), &c); err != nil {
		return nil
	}
	r := release{containerState: &c}
	var errs []error
	for _, v := range r.veths() {
		errs = append(errs, delLink(v))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := os.Remove(m.releasePath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// reclaimIP deletes the veths of a release that still holds ip on the
// network: a --ip or --ip6 asks for it now.
func (m *Manager) reclaimIP(network, ip string) error {
	if ip == "" {
		return nil
	}
	for _, r := range m.loadReleases() {
		if slices.Contains(r.ips(network), ip) {
			if err := m.reclaimRelease(r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// reclaimNetwork deletes the veths releases still have on the network
// (network rm: its bridge goes).
func (m *Manager) reclaimNetwork(network string) error {
	var errs []error
	for _, r := range m.loadReleases() {
		if len(r.ips(network)) > 0 {
			errs = append(errs, m.reclaimRelease(r.ID))
		}
	}
	return errors.Join(errs...)
}

// releasedIPs adds the addresses releases still hold on the network.
func (m *Manager) releasedIPs(network string, used map[string]bool) {
	for _, r := range m.loadReleases() {
		for _, ip := range r.ips(network) {
			used[ip] = true
		}
	}
}

// linkExists reports whether the host has an interface of that name.
func linkExists(name string) bool {
	_, err := os.Lstat("/sys/class/net/" + name)
	return err == nil
}
