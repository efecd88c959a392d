package apiserver

import (
	"net"

	"github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/engine"
)

// hostExtras carries HostConfig's namespace modes, /dev/shm, sysctls,
// devices, groups, links, annotations, cgroup parent, MAC address and the
// CFS and swappiness resources into the engine's, with dockerd's checks
// of their shapes (the engine applies them as for the CLI's flags).
func hostExtras(h *engine.HostConfig, hc *container.HostConfig, nc *mnet.NetworkingConfig) error {
	x := &h.HostExtras
	if hc.ShmSize < 0 {
		return badRequest("SHM size can not be less than 0")
	}
	x.ShmSize, x.Sysctls, x.GroupAdd, x.VolumesFrom = hc.ShmSize, hc.Sysctls, hc.GroupAdd, hc.VolumesFrom
	x.DNSOptions, x.DeviceCgroupRules, x.Annotations, x.Links = hc.DNSOptions, hc.DeviceCgroupRules, hc.Annotations, hc.Links
	if p := string(hc.PidMode); p != "" && p != "host" && !hc.PidMode.IsContainer() {
		return badRequest("invalid PID mode: %s", p)
	}
	if m := hc.IpcMode; !m.Valid() {
		return badRequest("invalid IPC mode: %s", m)
	}
	if u := string(hc.UTSMode); u != "" && u != "host" {
		return badRequest("invalid UTS mode: %s", u)
	}
	if u := string(hc.UsernsMode); u != "" && u != "host" {
		return badRequest("invalid USER mode: %s", u)
	}
	if c := hc.CgroupnsMode; c != "" && !c.Valid() {
		return badRequest("invalid cgroup namespace mode: %s", c)
	}
	x.PidMode, x.IpcMode, x.UTSMode = string(hc.PidMode), string(hc.IpcMode), string(hc.UTSMode)
	x.UsernsMode, x.CgroupnsMode = string(hc.UsernsMode), string(hc.CgroupnsMode)
	for _, r := range hc.DeviceCgroupRules {
		if _, err := engine.ParseDeviceCgroupRule(r); err != nil {
			return badRequest("%v", err)
		}
	}
	for _, d := range hc.Devices {
		m := engine.DeviceMapping{PathOnHost: d.PathOnHost, PathInContainer: d.PathInContainer, CgroupPermissions: d.CgroupPermissions}
		if m.PathOnHost == "" {
			return badRequest("invalid device mapping: no host path")
		}
		if m.PathInContainer == "" {
			m.PathInContainer = m.PathOnHost
		}
		if m.CgroupPermissions == "" {
			m.CgroupPermissions = "rwm"
		}
		x.Devices = append(x.Devices, m)
	}
	if hc.CgroupParent != "" {
		if err := cgroups.ValidParent(hc.CgroupParent); err != nil {
			return badRequest("%v", err)
		}
		x.CgroupParent = hc.CgroupParent
	}
	if nc != nil {
		if es := nc.EndpointsConfig[h.NetworkMode]; es != nil && len(es.MacAddress) > 0 {
			hw := net.HardwareAddr(es.MacAddress)
			if len(hw) != 6 || hw[0]&1 != 0 {
				return badRequest("invalid MAC address %s", hw)
			}
			x.MacAddress = hw.String()
		}
	}
	r := &h.Resources.ResourceExtras
	r.CPUPeriod, r.CPUQuota, r.CpusetMems = hc.CPUPeriod, hc.CPUQuota, hc.CpusetMems
	if s := hc.MemorySwappiness; s != nil && *s != -1 {
		r.MemorySwappiness = s
	}
	if err := r.Check(hc.NanoCPUs); err != nil {
		return badRequest("%v", err)
	}
	resExtras(h, hc)
	return nil
}

// hostExtrasOf is hostExtras backwards, for inspect.
func hostExtrasOf(hc *container.HostConfig, h *engine.HostConfig) {
	x := &h.HostExtras
	hc.ShmSize, hc.Sysctls, hc.GroupAdd, hc.VolumesFrom = x.ShmSize, x.Sysctls, x.GroupAdd, x.VolumesFrom
	hc.DNSOptions, hc.DeviceCgroupRules, hc.Annotations, hc.Links = x.DNSOptions, x.DeviceCgroupRules, x.Annotations, x.Links
	hc.PidMode, hc.UTSMode, hc.UsernsMode = container.PidMode(x.PidMode), container.UTSMode(x.UTSMode), container.UsernsMode(x.UsernsMode)
	if x.IpcMode != "" {
		hc.IpcMode = container.IpcMode(x.IpcMode)
	}
	if x.CgroupnsMode != "" {
		hc.CgroupnsMode = container.CgroupnsMode(x.CgroupnsMode)
	}
	hc.CgroupParent = x.CgroupParent
	for _, d := range x.Devices {
		hc.Devices = append(hc.Devices, container.DeviceMapping{PathOnHost: d.PathOnHost, PathInContainer: d.PathInContainer, CgroupPermissions: d.CgroupPermissions})
	}
	r := h.Resources.ResourceExtras
	hc.CPUPeriod, hc.CPUQuota, hc.CpusetMems, hc.MemorySwappiness = r.CPUPeriod, r.CPUQuota, r.CpusetMems, r.MemorySwappiness
	resExtrasOf(hc, h)
}
