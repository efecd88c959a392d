package apiserver

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	mnet "github.com/moby/moby/api/types/network"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/network"
)

// createOptions turns a create request into the engine's options. Value
// checks (ranges, policies, names) are the engine's, as for the CLI; here
// only the API's shapes are translated.
func createOptions(name string, req *container.CreateRequest) (*engine.CreateOptions, error) {
	cfg := req.Config
	if cfg == nil {
		return nil, badRequest("config cannot be empty in order to create a container")
	}
	hc := req.HostConfig
	if hc == nil {
		hc = &container.HostConfig{}
	}
	o := &engine.CreateOptions{Name: strings.TrimPrefix(name, "/"), Image: cfg.Image, Cmd: cfg.Cmd, Runtime: hc.Runtime}
	if cfg.Image == "" {
		return nil, badRequest("no image specified")
	}
	if cfg.Entrypoint != nil {
		o.EntrypointSet = true
		for _, a := range cfg.Entrypoint {
			if a != "" || len(cfg.Entrypoint) > 1 {
				o.Entrypoint = cfg.Entrypoint
				break
			}
		}
	}
	cc := &o.Config
	cc.Hostname, cc.User, cc.Env, cc.WorkingDir, cc.Labels = cfg.Hostname, cfg.User, cfg.Env, cfg.WorkingDir, cfg.Labels
	cc.Tty, cc.OpenStdin, cc.StopSignal, cc.StopTimeout = cfg.Tty, cfg.OpenStdin, cfg.StopSignal, cfg.StopTimeout
	if hcfg := cfg.Healthcheck; hcfg != nil && len(hcfg.Test) > 0 {
		cc.Healthcheck = &engine.Healthcheck{Test: hcfg.Test, Interval: hcfg.Interval, Timeout: hcfg.Timeout,
			StartPeriod: hcfg.StartPeriod, Retries: hcfg.Retries}
	}

	h := &o.Host
	h.Binds, h.ReadonlyRootfs, h.AutoRemove, h.Privileged = hc.Binds, hc.ReadonlyRootfs, hc.AutoRemove, hc.Privileged
	h.CapAdd, h.CapDrop, h.SecurityOpt, h.OomScoreAdj = hc.CapAdd, hc.CapDrop, hc.SecurityOpt, hc.OomScoreAdj
	h.StorageOpt, h.Tmpfs, h.ConsoleSize = hc.StorageOpt, hc.Tmpfs, hc.ConsoleSize
	if hc.Init != nil {
		h.Init = *hc.Init
	}
	h.RestartPolicy = engine.RestartPolicy{Name: string(hc.RestartPolicy.Name), MaximumRetryCount: hc.RestartPolicy.MaximumRetryCount}
	h.LogConfig = engine.LogConfig{Type: hc.LogConfig.Type, Config: hc.LogConfig.Config}
	o.Volumes = hc.Binds
	for dst, opts := range hc.Tmpfs {
		t := dst
		if opts != "" {
			t += ":" + opts
		}
		o.Tmpfs = append(o.Tmpfs, t)
	}
	sort.Strings(o.Tmpfs)
	for _, m := range hc.Mounts {
		s, err := mountSpec(m)
		if err != nil {
			return nil, err
		}
		o.Mounts = append(o.Mounts, s)
	}
	// Anonymous volumes of Config.Volumes that no bind or mount covers.
	taken := map[string]bool{}
	for _, b := range hc.Binds {
		if parts := strings.Split(b, ":"); len(parts) > 1 {
			taken[parts[1]] = true
		}
	}
	for _, m := range hc.Mounts {
		taken[m.Target] = true
	}
	for dst := range hc.Tmpfs {
		taken[dst] = true
	}
	var anon []string
	for dst := range cfg.Volumes {
		if !taken[dst] {
			anon = append(anon, dst)
		}
	}
	sort.Strings(anon)
	o.Volumes = append(append([]string(nil), o.Volumes...), anon...)
	r := &h.Resources
	r.Memory, r.MemorySwap, r.MemoryReservation = hc.Memory, hc.MemorySwap, hc.MemoryReservation
	r.NanoCpus, r.CPUShares, r.CpusetCpus, r.PidsLimit = hc.NanoCPUs, hc.CPUShares, hc.CpusetCpus, hc.PidsLimit
	r.BlkioWeight, r.OomKillDisable = hc.BlkioWeight, hc.OomKillDisable
	if r.PidsLimit != nil && *r.PidsLimit == 0 {
		r.PidsLimit = nil
	}
	for _, d := range hc.BlkioDeviceReadBps {
		r.BlkioDeviceReadBps = append(r.BlkioDeviceReadBps, engine.ThrottleDevice{Path: d.Path, Rate: d.Rate})
	}
	for _, d := range hc.BlkioDeviceWriteBps {
		r.BlkioDeviceWriteBps = append(r.BlkioDeviceWriteBps, engine.ThrottleDevice{Path: d.Path, Rate: d.Rate})
	}
	for _, u := range hc.Ulimits {
		if u != nil {
			r.Ulimits = append(r.Ulimits, engine.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
		}
	}
	if err := netOptions(h, cfg, hc, req.NetworkingConfig); err != nil {
		return nil, err
	}
	if err := hostExtras(h, hc, req.NetworkingConfig); err != nil {
		return nil, err
	}
	return o, nil
}

func netOptions(h *engine.HostConfig, cfg *container.Config, hc *container.HostConfig, nc *mnet.NetworkingConfig) error {
	mode := string(hc.NetworkMode)
	if mode == "" || mode == "default" {
		mode = "bridge"
	}
	if _, err := network.ParseMode(mode); err != nil {
		return badRequest("%v", err)
	}
	h.NetworkMode = mode
	n := &h.NetConfig
	n.PublishAllPorts = hc.PublishAllPorts
	for p := range cfg.ExposedPorts {
		n.ExposedPorts = append(n.ExposedPorts, p.String())
	}
	sort.Strings(n.ExposedPorts)
	var keys []mnet.Port
	for p := range hc.PortBindings {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, p := range keys {
		binds := hc.PortBindings[p]
		if len(binds) == 0 {
			binds = []mnet.PortBinding{{}}
		}
		for _, b := range binds {
			port := network.Port{ContainerPort: int(p.Num()), Proto: string(p.Proto())}
			if b.HostIP.IsValid() && !b.HostIP.IsUnspecified() {
				port.HostIP = b.HostIP.String()
			}
			if b.HostPort != "" {
				lo, hi, isRange := strings.Cut(b.HostPort, "-")
				v, err := strconv.Atoi(lo)
				if err != nil || v < 0 || v > 65535 {
					return badRequest("invalid port specification: %q", b.HostPort)
				}
				if isRange && hi != lo {
					return badRequest("host port ranges are not supported: %q", b.HostPort)
				}
				port.HostPort = v
			}
			n.PortSpecs = append(n.PortSpecs, port)
		}
	}
	for _, d := range hc.DNS {
		n.DNS = append(n.DNS, d.String())
	}
	n.DNSSearch, n.ExtraHosts = hc.DNSSearch, hc.ExtraHosts
	for _, eh := range hc.ExtraHosts {
		if _, _, err := network.ParseExtraHost(eh); err != nil {
			return badRequest("%v", err)
		}
	}
	if nc != nil {
		if es := nc.EndpointsConfig[mode]; es != nil {
			n.NetworkAliases = es.Aliases
			if es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid() {
				n.IPAddress = es.IPAMConfig.IPv4Address.String()
			}
			if es.IPAMConfig != nil && es.IPAMConfig.IPv6Address.IsValid() {
				n.IP6Address = es.IPAMConfig.IPv6Address.String()
			}
			if es.IPAMConfig != nil {
				for _, a := range es.IPAMConfig.LinkLocalIPs {
					n.LinkLocalIPs = append(n.LinkLocalIPs, a.String())
				}
			}
			for k, v := range es.DriverOpts {
				var eo network.EndpointOptions
				if err := eo.SetDriverOpt(k, v); err != nil {
					return badRequest("%v", err)
				}
				n.IfName = eo.IfName
			}
			n.GwPriority = es.GwPriority
		}
	}
	return nil
}

// mountSpec writes a HostConfig.Mounts entry in --mount's syntax, which
// the engine parses for the CLI too.
func mountSpec(m mount.Mount) (string, error) {
	if m.Target == "" {
		return "", badRequest("invalid mount config: Target must not be empty")
	}
	parts := []string{"type=" + string(m.Type)}
	switch m.Type {
	case mount.TypeBind, mount.TypeVolume:
		if m.Source != "" {
			parts = append(parts, "source="+m.Source)
		} else if m.Type == mount.TypeBind {
			return "", badRequest("invalid mount config for type \"bind\": field Source must not be empty")
		}
	case mount.TypeTmpfs:
		if m.Source != "" {
			return "", badRequest("invalid mount config for type \"tmpfs\": field Source must not be specified")
		}
		if t := m.TmpfsOptions; t != nil {
			if t.SizeBytes > 0 {
				parts = append(parts, fmt.Sprintf("tmpfs-size=%d", t.SizeBytes))
			}
			if t.Mode != 0 {
				parts = append(parts, fmt.Sprintf("tmpfs-mode=%o", t.Mode))
			}
		}
	default:
		return "", badRequest("invalid mount config: mount type %q is not supported", m.Type)
	}
	parts = append(parts, "target="+m.Target)
	if m.ReadOnly {
		parts = append(parts, "readonly")
	}
	if m.BindOptions != nil && m.BindOptions.Propagation != "" {
		parts = append(parts, "bind-propagation="+string(m.BindOptions.Propagation))
	}
	if m.VolumeOptions != nil && m.VolumeOptions.NoCopy {
		parts = append(parts, "volume-nocopy")
	}
	return strings.Join(parts, ","), nil
}
