package apiserver

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	mnet "github.com/moby/moby/api/types/network"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/filters"
	"github.com/jinn-containers/jinn/internal/network"
)

func (s *Server) networkRoutes() {
	s.handle("GET /networks", s.networkList)
	s.handle("GET /networks/{id}", s.networkInspect)
	s.handle("POST /networks/create", s.networkCreate)
	s.handle("DELETE /networks/{id}", s.networkRemove)
	s.handle("POST /networks/{id}/connect", s.networkConnect)
	s.handle("POST /networks/{id}/disconnect", s.networkDisconnect)
	s.handle("POST /networks/prune", s.networkPrune)
}

// netID is a stable id for a network without one (host, none).
func netID(name string) string {
	sum := sha256.Sum256([]byte("jinn-network/" + name))
	return hex.EncodeToString(sum[:])
}

// networkID is a network's id in the API: its own, or one made from its name.
func networkID(n *network.Network) string {
	if n.ID != "" {
		return n.ID
	}
	return netID(n.Name)
}

// NetworkDoc is a network as docker's API and its `network inspect` show
// it; the jinn CLI's network inspect prints it too.
func NetworkDoc(n *network.NetworkInfo) mnet.Inspect {
	d := mnet.Inspect{Network: mnet.Network{Name: n.Name, ID: n.ID, Created: n.Created, Scope: "local",
		Driver: n.Driver, EnableIPv4: !n.IPv6Only(), Internal: n.Internal, Labels: n.Labels, Options: map[string]string{},
		IPAM: mnet.IPAM{Driver: "default", Options: map[string]string{}, Config: []mnet.IPAMConfig{}}},
		Containers: map[string]mnet.EndpointResource{}}
	d.ID = networkID(&n.Network)
	if d.Driver == "" {
		d.Driver = "bridge"
	}
	if d.Labels == nil {
		d.Labels = map[string]string{}
	}
	// The default network's bridge name, and the options a user gave
	// (-o): compose compares a network's options with its file and
	// recreates one that has more.
	if n.Name == "bridge" && n.Bridge != "" || n.ID != "" && n.Bridge != "jbr-"+n.ID[:min(11, len(n.ID))] && n.Name != "bridge" {
		d.Options["com.docker.network.bridge.name"] = n.Bridge
	}
	if n.MTU != 0 && n.MTU != 1500 {
		d.Options["com.docker.network.driver.mtu"] = strconv.Itoa(n.MTU)
	}
	if n.NoICC {
		d.Options["com.docker.network.bridge.enable_icc"] = "false"
	}
	if n.NoMasquerade {
		d.Options["com.docker.network.bridge.enable_ip_masquerade"] = "false"
	}
	d.ConfigOnly, d.Attachable = n.ConfigOnly, n.Attachable
	if n.ConfigFrom != "" {
		d.ConfigFrom = mnet.ConfigReference{Network: n.ConfigFrom}
	}
	for k, v := range n.IPAMOptions {
		d.IPAM.Options[k] = v
	}
	if p, err := netip.ParsePrefix(n.Subnet); err == nil {
		c := mnet.IPAMConfig{Subnet: p}
		c.Gateway, _ = netip.ParseAddr(n.Gateway)
		c.IPRange, _ = netip.ParsePrefix(n.IPRange)
		for host, a := range n.AuxAddresses {
			if ip, err := netip.ParseAddr(a); err == nil {
				if c.AuxAddress == nil {
					c.AuxAddress = map[string]netip.Addr{}
				}
				c.AuxAddress[host] = ip
			}
		}
		d.IPAM.Config = append(d.IPAM.Config, c)
	}
	if p, err := netip.ParsePrefix(n.Subnet6); err == nil {
		c := mnet.IPAMConfig{Subnet: p}
		c.Gateway, _ = netip.ParseAddr(n.Gateway6)
		d.IPAM.Config = append(d.IPAM.Config, c)
		d.EnableIPv6 = true
	}
	for id, ep := range n.Containers {
		r := mnet.EndpointResource{Name: n.ContainerNames[id], EndpointID: endpointID(n.Name, id)}
		if r.Name == "" {
			r.Name = id[:min(12, len(id))]
		}
		if a, err := netip.ParseAddr(ep.IP); err == nil {
			r.IPv4Address = netip.PrefixFrom(a, ep.Prefix)
		}
		if a, err := netip.ParseAddr(ep.IP6); err == nil {
			r.IPv6Address = netip.PrefixFrom(a, ep.Prefix6)
		}
		if mac, err := net.ParseMAC(ep.MAC); err == nil {
			r.MacAddress = mnet.HardwareAddr(mac)
		}
		d.Containers[id] = r
	}
	return d
}

func pseudoNetworks() []mnet.Inspect {
	var out []mnet.Inspect
	for _, n := range []string{"host", "none"} {
		out = append(out, mnet.Inspect{Network: mnet.Network{Name: n, ID: netID(n), Scope: "local", Driver: map[string]string{"host": "host", "none": "null"}[n],
			IPAM: mnet.IPAM{Driver: "default", Config: []mnet.IPAMConfig{}}, Options: map[string]string{}, Labels: map[string]string{}},
			Containers: map[string]mnet.EndpointResource{}})
	}
	return out
}

func (s *Server) allNetworks() ([]mnet.Inspect, error) {
	m, err := s.eng.Networks()
	if err != nil {
		return nil, err
	}
	infos, err := m.Networks()
	if err != nil {
		return nil, err
	}
	var out []mnet.Inspect
	for i := range infos {
		out = append(out, NetworkDoc(&infos[i]))
	}
	return append(out, pseudoNetworks()...), nil
}

func (s *Server) networkList(w http.ResponseWriter, r *http.Request) error {
	specs, err := filterArgs(r)
	if err != nil {
		return err
	}
	all, err := s.allNetworks()
	if err != nil {
		return err
	}
	out := []mnet.Inspect{}
	for _, n := range all {
		if networkMatch(specs, &n) {
			out = append(out, n)
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func networkMatch(specs []string, n *mnet.Inspect) bool {
	f := filters.Parse(specs)
	builtin := n.Name == "bridge" || n.Name == "host" || n.Name == "none"
	return f.Labels(n.Labels) &&
		f.Any("name", func(v string) bool { return strings.Contains(n.Name, v) }) &&
		f.Any("id", func(v string) bool { return strings.HasPrefix(n.ID, v) }) &&
		f.Any("driver", func(v string) bool { return n.Driver == v }) &&
		f.Any("type", func(v string) bool { return (v == "builtin") == builtin })
}

func (s *Server) findNetwork(ref string) (*mnet.Inspect, error) {
	all, err := s.allNetworks()
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Name == ref || all[i].ID == ref {
			return &all[i], nil
		}
	}
	for i := range all {
		if len(ref) >= 3 && strings.HasPrefix(all[i].ID, ref) {
			return &all[i], nil
		}
	}
	return nil, notFound("network %s not found", ref)
}

func (s *Server) networkInspect(w http.ResponseWriter, r *http.Request) error {
	n, err := s.findNetwork(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, n)
}

func (s *Server) networkCreate(w http.ResponseWriter, r *http.Request) error {
	var req mnet.CreateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return badRequest("network name is required")
	}
	if req.Driver != "" && req.Driver != "bridge" {
		return badRequest("network driver %q is not supported: only bridge", req.Driver)
	}
	if _, err := s.findNetwork(req.Name); err == nil {
		return conflict("network with name %s already exists", req.Name)
	}
	opts := network.NetworkOptions{Internal: req.Internal, Labels: req.Labels, ConfigOnly: req.ConfigOnly, Attachable: req.Attachable}
	if req.ConfigFrom != nil {
		opts.ConfigFrom = req.ConfigFrom.Network
	}
	if req.Scope != "" && req.Scope != "local" {
		return badRequest("scope %q is not supported: only local networks (jinn has no swarm)", req.Scope)
	}
	for k, v := range req.Options {
		if err := opts.SetDriverOption(k, v); err != nil {
			return badRequest("%v", err)
		}
	}
	opts.IPv6 = req.EnableIPv6 != nil && *req.EnableIPv6
	opts.NoIPv4 = req.EnableIPv4 != nil && !*req.EnableIPv4
	if req.IPAM != nil {
		if d := req.IPAM.Driver; d != "" && d != "default" {
			return badRequest("IPAM driver %q is not supported: only default", d)
		}
		opts.IPAMOptions = req.IPAM.Options
		// One IPv4 and, on a dual-stack network, one IPv6 pool.
		for _, c := range req.IPAM.Config {
			subnet, gw := &opts.Subnet, &opts.Gateway
			if c.Subnet.Addr().Is6() {
				subnet, gw = &opts.Subnet6, &opts.Gateway6
			}
			if *subnet != "" {
				return badRequest("only one IPv4 and one IPv6 subnet are supported")
			}
			if c.Subnet.IsValid() {
				*subnet = c.Subnet.String()
			}
			if c.Gateway.IsValid() {
				*gw = c.Gateway.String()
			}
			if c.IPRange.IsValid() && c.Subnet.Addr().Is4() {
				opts.IPRange = c.IPRange.String()
			}
			for host, a := range c.AuxAddress {
				if opts.AuxAddresses == nil {
					opts.AuxAddresses = map[string]string{}
				}
				opts.AuxAddresses[host] = a.String()
			}
		}
	}
	m, err := s.eng.Networks()
	if err != nil {
		return err
	}
	n, err := m.CreateNetwork(r.Context(), req.Name, opts)
	if err != nil {
		return badRequest("%v", err)
	}
	return writeJSON(w, http.StatusCreated, mnet.CreateResponse{ID: n.ID, Warning: ""})
}

func (s *Server) networkRemove(w http.ResponseWriter, r *http.Request) error {
	n, err := s.findNetwork(r.PathValue("id"))
	if err != nil {
		return err
	}
	switch n.Name {
	case "bridge", "host", "none":
		return &apiError{http.StatusForbidden, n.Name + " is a pre-defined network and cannot be removed"}
	}
	m, err := s.eng.Networks()
	if err != nil {
		return err
	}
	if err := m.RemoveNetwork(r.Context(), n.Name); err != nil {
		if errors.Is(err, network.ErrNotFound) {
			return notFound("network %s not found", r.PathValue("id"))
		}
		if strings.Contains(err.Error(), "active endpoints") {
			return &apiError{http.StatusForbidden, "error while removing network: " + err.Error()}
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) networkConnect(w http.ResponseWriter, r *http.Request) error {
	var req mnet.ConnectRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	n, err := s.findNetwork(r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.eng.Connect(r.Context(), n.Name, req.Container, connectOptions(req.EndpointConfig)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) networkDisconnect(w http.ResponseWriter, r *http.Request) error {
	var req mnet.DisconnectRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	n, err := s.findNetwork(r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.eng.Disconnect(r.Context(), n.Name, req.Container); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) networkPrune(w http.ResponseWriter, r *http.Request) error {
	m, err := s.eng.Networks()
	if err != nil {
		return err
	}
	names, err := m.PruneNetworks(r.Context())
	if err != nil {
		return err
	}
	if names == nil {
		names = []string{}
	}
	return writeJSON(w, http.StatusOK, mnet.PruneReport{NetworksDeleted: names})
}

// connectOptions is an EndpointConfig (connect, or create's other
// networks) as the engine's: addresses, aliases, link-local addresses,
// driver options, gateway priority, links.
func connectOptions(es *mnet.EndpointSettings) *engine.ConnectOptions {
	o := &engine.ConnectOptions{}
	if es == nil {
		return o
	}
	o.Aliases, o.DriverOpts, o.GwPriority, o.Links = es.Aliases, es.DriverOpts, es.GwPriority, es.Links
	if c := es.IPAMConfig; c != nil {
		if c.IPv4Address.IsValid() {
			o.IP = c.IPv4Address.String()
		}
		if c.IPv6Address.IsValid() {
			o.IP6 = c.IPv6Address.String()
		}
		for _, a := range c.LinkLocalIPs {
			o.LinkLocalIPs = append(o.LinkLocalIPs, a.String())
		}
	}
	return o
}
