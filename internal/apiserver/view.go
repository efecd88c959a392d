package apiserver

import (
	"encoding/json"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	mnet "github.com/moby/moby/api/types/network"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/monitor"
	"github.com/jinn-containers/jinn/internal/network"
)

func dockerTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func stateOf(st *monitor.State) *container.State {
	s := &container.State{
		Status: container.ContainerState(st.Status), Pid: st.Pid, ExitCode: st.ExitCode, Error: st.Error,
		OOMKilled: st.OOMKilled, StartedAt: dockerTime(st.StartedAt), FinishedAt: dockerTime(st.FinishedAt),
	}
	switch st.Status {
	case monitor.StatusRunning:
		s.Running = true
	case monitor.StatusPaused:
		s.Running, s.Paused = true, true
	case monitor.StatusRestarting:
		s.Running, s.Restarting = true, true
	case engine.StatusDead:
		s.Dead = true
	}
	if h := st.Health; h != nil {
		s.Health = &container.Health{Status: container.HealthStatus(h.Status), FailingStreak: h.FailingStreak,
			Log: []*container.HealthcheckResult{}}
		for _, l := range h.Log {
			s.Health.Log = append(s.Health.Log, &container.HealthcheckResult{Start: l.Start, End: l.End, ExitCode: l.ExitCode, Output: l.Output})
		}
	}
	return s
}

func (s *Server) endpoints(v *engine.View) ([]network.Endpoint, []network.Port) {
	m, err := s.eng.Networks()
	if err != nil {
		return nil, nil
	}
	eps, _ := m.Endpoints(v.ID)
	ports, _ := m.Ports(v.ID)
	return eps, ports
}

// netIDs maps network names to the ids GET /networks gives them: compose
// finds a container's networks by id and recreates a container whose
// NetworkID is not its network's.
type netIDs map[string]string

func (s *Server) netIDs() netIDs {
	ids := netIDs{}
	if m, err := s.eng.Networks(); err == nil {
		if infos, err := m.Networks(); err == nil {
			for i := range infos {
				ids[infos[i].Name] = networkID(&infos[i].Network)
			}
		}
	}
	return ids
}

func (ids netIDs) of(name string) string {
	if id, ok := ids[name]; ok {
		return id
	}
	return netID(name)
}

// endpointID is the id of a container's endpoint on a network, the same
// in the container's and the network's documents.
func endpointID(network, containerID string) string {
	return netID(network + containerID)
}

func endpointSettings(ep network.Endpoint, containerID string, ids netIDs) *mnet.EndpointSettings {
	es := &mnet.EndpointSettings{Aliases: ep.Aliases, IPPrefixLen: ep.Prefix, NetworkID: ids.of(ep.Network),
		EndpointID: endpointID(ep.Network, containerID), DNSNames: ep.Aliases}
	es.IPAddress, _ = netip.ParseAddr(ep.IP)
	es.Gateway, _ = netip.ParseAddr(ep.Gateway)
	es.GlobalIPv6Address, _ = netip.ParseAddr(ep.IP6)
	es.GlobalIPv6PrefixLen = ep.Prefix6
	es.IPv6Gateway, _ = netip.ParseAddr(ep.Gateway6)
	es.GwPriority = ep.GwPriority
	if len(ep.LinkLocalIPs) > 0 {
		es.IPAMConfig = &mnet.EndpointIPAMConfig{}
		for _, a := range ep.LinkLocalIPs {
			if ip, err := netip.ParseAddr(a); err == nil {
				es.IPAMConfig.LinkLocalIPs = append(es.IPAMConfig.LinkLocalIPs, ip)
			}
		}
	}
	if !strings.HasPrefix(ep.IfName, "eth") {
		es.DriverOpts = map[string]string{network.IfNameOption: ep.IfName}
	}
	if mac, err := net.ParseMAC(ep.MAC); err == nil {
		es.MacAddress = mnet.HardwareAddr(mac)
	}
	return es
}

func portMap(v *engine.View, ports []network.Port) mnet.PortMap {
	pm := mnet.PortMap{}
	for _, e := range v.Host.ExposedPorts {
		if p, err := mnet.ParsePort(e); err == nil {
			pm[p] = nil
		}
	}
	for _, p := range ports {
		key, ok := mnet.PortFrom(uint16(p.ContainerPort), mnet.IPProtocol(p.Proto))
		if !ok {
			continue
		}
		ip, err := netip.ParseAddr(p.HostIP)
		if err != nil {
			ip = netip.IPv4Unspecified()
		}
		pm[key] = append(pm[key], mnet.PortBinding{HostIP: ip, HostPort: strconv.Itoa(p.HostPort)})
	}
	return pm
}

func hostConfigOf(v *engine.View) *container.HostConfig {
	h := v.Host
	hc := &container.HostConfig{
		Binds: h.Binds, NetworkMode: container.NetworkMode(h.NetworkMode), AutoRemove: h.AutoRemove,
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyMode(h.RestartPolicy.Name), MaximumRetryCount: h.RestartPolicy.MaximumRetryCount},
		LogConfig:     container.LogConfig{Type: h.LogConfig.Type, Config: h.LogConfig.Config},
		CapAdd:        h.CapAdd, CapDrop: h.CapDrop, SecurityOpt: h.SecurityOpt, Privileged: h.Privileged,
		ReadonlyRootfs: h.ReadonlyRootfs, OomScoreAdj: h.OomScoreAdj, Runtime: h.Runtime, StorageOpt: h.StorageOpt,
		Tmpfs: h.Tmpfs, PublishAllPorts: h.PublishAllPorts, DNSSearch: h.DNSSearch, ExtraHosts: h.ExtraHosts,
		PortBindings: mnet.PortMap{}, CgroupnsMode: "private", IpcMode: "private",
	}
	if h.Init {
		t := true
		hc.Init = &t
	}
	for _, d := range h.DNS {
		if a, err := netip.ParseAddr(d); err == nil {
			hc.DNS = append(hc.DNS, a)
		}
	}
	for _, p := range h.PortSpecs {
		key, ok := mnet.PortFrom(uint16(p.ContainerPort), mnet.IPProtocol(p.Proto))
		if !ok {
			continue
		}
		b := mnet.PortBinding{}
		if p.HostPort != 0 {
			b.HostPort = strconv.Itoa(p.HostPort)
		}
		b.HostIP, _ = netip.ParseAddr(p.HostIP)
		hc.PortBindings[key] = append(hc.PortBindings[key], b)
	}
	r := h.Resources
	hc.Memory, hc.MemorySwap, hc.MemoryReservation = r.Memory, r.MemorySwap, r.MemoryReservation
	hc.NanoCPUs, hc.CPUShares, hc.CpusetCpus, hc.PidsLimit = r.NanoCpus, r.CPUShares, r.CpusetCpus, r.PidsLimit
	hc.BlkioWeight, hc.OomKillDisable = r.BlkioWeight, r.OomKillDisable
	for _, u := range r.Ulimits {
		hc.Ulimits = append(hc.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	hostExtrasOf(hc, &h)
	return hc
}

func configOf(v *engine.View) *container.Config {
	c := v.Config
	cfg := &container.Config{
		Hostname: c.Hostname, User: c.User, Env: c.Env, Cmd: c.Cmd, Entrypoint: c.Entrypoint,
		WorkingDir: c.WorkingDir, Labels: c.Labels, Tty: c.Tty, OpenStdin: c.OpenStdin, StdinOnce: c.OpenStdin,
		AttachStdin: c.OpenStdin, AttachStdout: true, AttachStderr: true,
		StopSignal: c.StopSignal, StopTimeout: c.StopTimeout, Image: v.Image,
	}
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	if hc := c.Healthcheck; hc != nil {
		cfg.Healthcheck = &container.HealthConfig{Test: hc.Test, Interval: hc.Interval, Timeout: hc.Timeout,
			StartPeriod: hc.StartPeriod, Retries: hc.Retries}
	}
	if len(v.Host.ExposedPorts) > 0 || len(v.Host.PortSpecs) > 0 {
		cfg.ExposedPorts = mnet.PortSet{}
		for _, e := range v.Host.ExposedPorts {
			if p, err := mnet.ParsePort(e); err == nil {
				cfg.ExposedPorts[p] = struct{}{}
			}
		}
		for _, ps := range v.Host.PortSpecs {
			if p, ok := mnet.PortFrom(uint16(ps.ContainerPort), mnet.IPProtocol(ps.Proto)); ok {
				cfg.ExposedPorts[p] = struct{}{}
			}
		}
	}
	for _, m := range v.Mounts {
		if m.Type == "volume" {
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			cfg.Volumes[m.Destination] = struct{}{}
		}
	}
	return cfg
}

func mountsOf(v *engine.View) []container.MountPoint {
	out := []container.MountPoint{}
	for _, m := range v.Mounts {
		mp := container.MountPoint{Type: mount.Type(m.Type), Name: m.Name, Source: m.Source, Destination: m.Destination,
			Mode: m.Mode, RW: m.RW, Propagation: mount.Propagation(m.Propagation)}
		if m.Type == "volume" {
			mp.Driver = "local"
		}
		out = append(out, mp)
	}
	return out
}

// inspect is GET /containers/{id}/json; older clients also get the
// network settings' top-level fields, removed in API 1.52.
func (s *Server) inspectDoc(v *engine.View, version string) any {
	eps, ports := s.endpoints(v)
	ids := s.netIDs()
	ns := &container.NetworkSettings{SandboxKey: filepath.Join("/var/run/netns", v.ID), Ports: portMap(v, ports),
		Networks: map[string]*mnet.EndpointSettings{}}
	for _, ep := range eps {
		ns.Networks[ep.Network] = endpointSettings(ep, v.ID, ids)
	}
	if len(eps) == 0 && v.Host.NetworkMode != "" {
		ns.Networks[v.Host.NetworkMode] = &mnet.EndpointSettings{NetworkID: ids.of(v.Host.NetworkMode)}
	}
	doc := container.InspectResponse{
		ID: v.ID, Created: dockerTime(v.Created), Path: v.Path, Args: v.Args, State: stateOf(v.State),
		Image: v.ImageID, LogPath: v.LogPath, Name: "/" + v.Name, RestartCount: v.State.RestartCount,
		Driver: "overlay2", Platform: "linux", ExecIDs: s.execIDs(v.ID), HostConfig: hostConfigOf(v),
		Mounts: mountsOf(v), Config: configOf(v), NetworkSettings: ns,
	}
	files := engine.NetFilesDir(s.cfg.Root, s.cfg.RunRoot, v.Container)
	doc.ResolvConfPath = filepath.Join(files, "resolv.conf")
	doc.HostnamePath = filepath.Join(files, "hostname")
	doc.HostsPath = filepath.Join(files, "hosts")
	if doc.Args == nil {
		doc.Args = []string{}
	}
	if !versionLess(version, "1.52") {
		return doc
	}
	b, _ := json.Marshal(doc)
	var m map[string]any
	json.Unmarshal(b, &m)
	legacy := map[string]any{"Bridge": "", "HairpinMode": false, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
		"SecondaryIPAddresses": nil, "SecondaryIPv6Addresses": nil, "EndpointID": "", "Gateway": "", "GlobalIPv6Address": "",
		"GlobalIPv6PrefixLen": 0, "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "", "MacAddress": ""}
	if len(eps) > 0 {
		legacy["IPAddress"], legacy["Gateway"], legacy["IPPrefixLen"], legacy["MacAddress"] = eps[0].IP, eps[0].Gateway, eps[0].Prefix, eps[0].MAC
	}
	if nsm, ok := m["NetworkSettings"].(map[string]any); ok {
		for k, val := range legacy {
			nsm[k] = val
		}
	}
	return m
}

// summary is one entry of GET /containers/json.
func (s *Server) summary(v *engine.View, ids netIDs) container.Summary {
	sum := container.Summary{
		ID: v.ID, Names: []string{"/" + v.Name}, Image: v.Image, ImageID: v.ImageID,
		Command: commandLine(v), Created: v.Created.Unix(), Labels: v.Config.Labels,
		State: container.ContainerState(v.State.Status), Status: engine.StatusText(v), Mounts: mountsOf(v),
		Ports: []container.PortSummary{},
	}
	if sum.Labels == nil {
		sum.Labels = map[string]string{}
	}
	sum.HostConfig.NetworkMode = v.Host.NetworkMode
	eps, ports := s.endpoints(v)
	sum.NetworkSettings = &container.NetworkSettingsSummary{Networks: map[string]*mnet.EndpointSettings{}}
	for _, ep := range eps {
		sum.NetworkSettings.Networks[ep.Network] = endpointSettings(ep, v.ID, ids)
	}
	for _, p := range ports {
		ps := container.PortSummary{PrivatePort: uint16(p.ContainerPort), PublicPort: uint16(p.HostPort), Type: p.Proto}
		ps.IP, _ = netip.ParseAddr(p.HostIP)
		if !ps.IP.IsValid() {
			ps.IP = netip.IPv4Unspecified()
		}
		sum.Ports = append(sum.Ports, ps)
	}
	if h := v.State.Health; h != nil {
		sum.Health = &container.HealthSummary{Status: container.HealthStatus(h.Status), FailingStreak: h.FailingStreak}
	}
	return sum
}

func commandLine(v *engine.View) string {
	return strings.Join(append([]string{v.Path}, v.Args...), " ")
}
