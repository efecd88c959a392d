package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Connect attaches a running container to one more network (eth1... or
// the interface name asked for); the default route moves if the new
// network outranks the others (gateways).
func (m *Manager) Connect(ctx context.Context, containerID, network string, o EndpointOptions) (*Result, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	c, err := m.loadContainer(containerID)
	if err != nil {
		return nil, err
	}
	if err := m.attach(c, network, o, false); err != nil {
		return nil, err
	}
	res, err := m.routeAndCommit(c)
	if err != nil {
		delLink(c.Endpoints[len(c.Endpoints)-1].HostVeth)
		c.Endpoints = c.Endpoints[:len(c.Endpoints)-1]
		m.setRoutes(c)
		return nil, err
	}
	list := append(m.connected(containerID), connection{Network: network, EndpointOptions: o})
	if err := writeJSON(m.connPath(containerID), list); err != nil {
		return nil, fmt.Errorf("remember %s on %s: %w", containerID, network, err)
	}
	return res, nil
}

func (m *Manager) routeAndCommit(c *containerState) (*Result, error) {
	if err := m.setRoutes(c); err != nil {
		return nil, err
	}
	return m.commit(c)
}

// Remember records one more network for a container that does not run
// (docker network connect on a stopped container, or a create with
// several networks): Setup joins it at start, after the container's own.
func (m *Manager) Remember(containerID, network string, o EndpointOptions) error {
	if err := o.Check(); err != nil {
		return err
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	n, err := m.loadNetwork(network)
	if err != nil {
		return fmt.Errorf("network %s not found", network)
	}
	if err := o.fits(n); err != nil {
		return err
	}
	list := m.connected(containerID)
	if slices.ContainsFunc(list, func(x connection) bool { return x.Network == network }) {
		return fmt.Errorf("container %s is already connected to network %s", containerID, network)
	}
	if o.IfName != "" && slices.ContainsFunc(list, func(x connection) bool { return x.IfName == o.IfName }) {
		return fmt.Errorf("interface name %s is already in use in container %s", o.IfName, containerID)
	}
	list = append(list, connection{Network: network, EndpointOptions: o})
	if err := writeJSON(m.connPath(containerID), list); err != nil {
		return fmt.Errorf("remember %s on %s: %w", containerID, network, err)
	}
	return nil
}

// Unremember drops a network Remember or Connect recorded for a container
// that does not run; it reports whether there was one.
func (m *Manager) Unremember(containerID, network string) (bool, error) {
	unlock, err := m.lock()
	if err != nil {
		return false, err
	}
	defer unlock()
	list := m.connected(containerID)
	n := len(list)
	list = slices.DeleteFunc(list, func(x connection) bool { return x.Network == network })
	if len(list) == n {
		return false, nil
	}
	return true, writeJSON(m.connPath(containerID), list)
}

// connection is a network joined with Connect, replayed by Setup.
type connection struct {
	Network string `json:"network"`
	EndpointOptions
}

func (m *Manager) connPath(id string) string {
	return filepath.Join(m.cfg.StateDir, "connected", id+".json")
}

func (m *Manager) connected(id string) []connection {
	var list []connection
	readJSON(m.connPath(id), &list)
	return list
}

// Forget drops what Connect remembered for a container being removed.
func (m *Manager) Forget(containerID string) error {
	if err := os.Remove(m.connPath(containerID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Disconnect removes the container's endpoint on network.
func (m *Manager) Disconnect(ctx context.Context, containerID, network string) (*Result, error) {
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	c, err := m.loadContainer(containerID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(c.Endpoints, func(e Endpoint) bool { return e.Network == network })
	if i < 0 {
		return nil, fmt.Errorf("container %s is not connected to network %s", containerID, network)
	}
	if err := delLink(c.Endpoints[i].HostVeth); err != nil {
		return nil, fmt.Errorf("delete veth %s: %w", c.Endpoints[i].HostVeth, err)
	}
	c.Endpoints = slices.Delete(c.Endpoints, i, i+1)
	list := slices.DeleteFunc(m.connected(containerID), func(x connection) bool { return x.Network == network })
	if err := writeJSON(m.connPath(containerID), list); err != nil {
		return nil, err
	}
	res, err := m.routeAndCommit(c)
	if err != nil {
		return nil, err
	}
	return res, m.gcNetworks()
}
