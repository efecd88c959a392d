package engine

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/fsroot"
	"github.com/jinn-containers/jinn/internal/recipe"
)

// extraResources lays --cpu-period, --cpu-quota, --cpuset-mems,
// --cpu-rt-period, --cpu-rt-runtime and --memory-swappiness over r.
func extraResources(h *Resources, r *specs.LinuxResources) {
	x, rt := &h.ResourceExtras, &h.RealtimeExtras
	if x.CPUPeriod > 0 || x.CPUQuota != 0 || x.CpusetMems != "" || rt.CPURealtimePeriod > 0 || rt.CPURealtimeRuntime != 0 {
		if r.CPU == nil {
			r.CPU = &specs.LinuxCPU{}
		}
		setPositive(&r.CPU.Period, x.CPUPeriod)
		setPositive(&r.CPU.RealtimePeriod, rt.CPURealtimePeriod)
		if x.CPUQuota != 0 {
			q := x.CPUQuota
			r.CPU.Quota = &q
		}
		if rt.CPURealtimeRuntime != 0 {
			v := rt.CPURealtimeRuntime
			r.CPU.RealtimeRuntime = &v
		}
		r.CPU.Mems = x.CpusetMems
	}
	if x.MemorySwappiness != nil && *x.MemorySwappiness >= 0 {
		if r.Memory == nil {
			r.Memory = &specs.LinuxMemory{}
		}
		v := uint64(*x.MemorySwappiness)
		r.Memory.Swappiness = &v
	}
}

// setPositive sets *dst to v when v is more than 0.
func setPositive(dst **uint64, v int64) {
	if v > 0 {
		u := uint64(v)
		*dst = &u
	}
}

// applyHostExtras lays the namespace modes, /dev/shm size, sysctls,
// domain name and extra groups over the recipe's spec.
func (e *Local) applyHostExtras(s *specs.Spec, c *Container, root string) error {
	x := &c.Host.HostExtras
	s.Domainname = c.Config.Domainname
	for _, m := range []struct {
		mode string
		ns   specs.LinuxNamespaceType
		proc string
	}{{x.PidMode, specs.PIDNamespace, "pid"}, {x.IpcMode, specs.IPCNamespace, "ipc"}, {x.UTSMode, specs.UTSNamespace, "uts"}} {
		switch {
		case m.mode == "host":
			dropNamespace(s, m.ns)
		case strings.HasPrefix(m.mode, "container:"):
			p, err := e.namespaceOf(strings.TrimPrefix(m.mode, "container:"), m.proc)
			if err != nil {
				return err
			}
			for i := range s.Linux.Namespaces {
				if s.Linux.Namespaces[i].Type == m.ns {
					s.Linux.Namespaces[i].Path = p
				}
			}
		}
	}
	if x.UTSMode == "host" {
		s.Hostname, s.Domainname = "", ""
	}
	for i, m := range s.Mounts {
		if m.Destination != "/dev/shm" {
			continue
		}
		if x.IpcMode == "none" {
			s.Mounts = append(s.Mounts[:i], s.Mounts[i+1:]...)
			break
		}
		if x.IpcMode == "host" {
			s.Mounts[i] = specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/dev/shm", Options: []string{"rbind", "nosuid", "noexec", "nodev", "rprivate"}}
		}
	}
	setShmSize(s, x.ShmSize)
	if len(x.Sysctls) > 0 {
		s.Linux.Sysctl = map[string]string{}
		for k, v := range x.Sysctls {
			s.Linux.Sysctl[k] = v
		}
	}
	if x.CgroupnsMode == "private" {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	if len(x.Annotations) > 0 {
		s.Annotations = map[string]string{}
		for k, v := range x.Annotations {
			s.Annotations[k] = v
		}
	}
	if err := addDevices(s, x); err != nil {
		return err
	}
	if len(x.GroupAdd) > 0 {
		r, err := fsroot.Open(root)
		if err != nil {
			return fmt.Errorf("open root: %w", err)
		}
		gids, err := recipe.ResolveGroups(r, x.GroupAdd)
		r.Close()
		if err != nil {
			return err
		}
		s.Process.User.AdditionalGids = append(s.Process.User.AdditionalGids, gids...)
	}
	return nil
}

func dropNamespace(s *specs.Spec, t specs.LinuxNamespaceType) {
	out := s.Linux.Namespaces[:0]
	for _, n := range s.Linux.Namespaces {
		if n.Type != t {
			out = append(out, n)
		}
	}
	s.Linux.Namespaces = out
}

// namespaceOf is the kind namespace of a running container (--pid
// container:X, --ipc container:X).
func (e *Local) namespaceOf(ref, kind string) (string, error) {
	o, err := e.Lookup(ref)
	if err != nil {
		return "", err
	}
	st := e.liveState(o)
	if !running(st) || st.Pid == 0 {
		return "", fmt.Errorf("cannot join %s namespace of a non running container: %s", strings.ToUpper(kind), ref)
	}
	return fmt.Sprintf("/proc/%d/ns/%s", st.Pid, kind), nil
}

// volumesFrom adds the volumes and bind mounts of other containers
// (--volumes-from X[:ro|rw]) where the container has no mount of its own.
func (e *Local) volumesFrom(mounts []MountPoint, from []string) ([]MountPoint, error) {
	have := map[string]bool{}
	for _, m := range mounts {
		have[m.Destination] = true
	}
	for _, f := range from {
		ref, mode, _ := strings.Cut(f, ":")
		o, err := e.Lookup(ref)
		if err != nil {
			return nil, err
		}
		for _, m := range o.Mounts {
			if (m.Type != "volume" && m.Type != "bind") || have[m.Destination] {
				continue
			}
			switch mode {
			case "ro":
				m.RW, m.Mode = false, "ro"
			case "rw":
				m.RW, m.Mode = true, "rw"
			}
			m.Anonymous = false // it belongs to the other container
			have[m.Destination] = true
			mounts = append(mounts, m)
		}
	}
	return mounts, nil
}

// addDevices gives the container the --device nodes (made by the runtime
// with the host's type and numbers) and lets the device cgroup allow them
// and the --device-cgroup-rule rules.
func addDevices(s *specs.Spec, x *HostExtras) error {
	for _, d := range x.Devices {
		var st unix.Stat_t
		if err := unix.Stat(d.PathOnHost, &st); err != nil {
			return fmt.Errorf("error gathering device information while adding custom device %q: %w", d.PathOnHost, err)
		}
		var typ string
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFCHR:
			typ = "c"
		case unix.S_IFBLK:
			typ = "b"
		default:
			return fmt.Errorf("error gathering device information while adding custom device %q: not a device node", d.PathOnHost)
		}
		major, minor := int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		mode := os.FileMode(st.Mode & 0o777)
		uid, gid := uint32(0), uint32(0)
		s.Linux.Devices = append(s.Linux.Devices, specs.LinuxDevice{Path: d.PathInContainer, Type: typ, Major: major, Minor: minor,
			FileMode: &mode, UID: &uid, GID: &gid})
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: typ,
			Major: &major, Minor: &minor, Access: d.CgroupPermissions})
	}
	for _, r := range x.DeviceCgroupRules {
		rule, err := ParseDeviceCgroupRule(r)
		if err != nil {
			return err
		}
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, rule)
	}
	return nil
}

// ParseDeviceCgroupRule reads docker's --device-cgroup-rule: "TYPE
// MAJOR:MINOR ACCESS", TYPE a, b or c, numbers or *, ACCESS of r, w, m.
func ParseDeviceCgroupRule(r string) (specs.LinuxDeviceCgroup, error) {
	bad := fmt.Errorf("invalid device cgroup rule %q: want TYPE MAJOR:MINOR ACCESS (e.g. 'c 1:3 mr')", r)
	f := strings.Fields(r)
	if len(f) != 3 || (f[0] != "a" && f[0] != "b" && f[0] != "c") || f[2] == "" || strings.Trim(f[2], "rwm") != "" {
		return specs.LinuxDeviceCgroup{}, bad
	}
	maj, min, ok := strings.Cut(f[1], ":")
	if !ok {
		return specs.LinuxDeviceCgroup{}, bad
	}
	num := func(s string) (*int64, bool) {
		if s == "*" {
			return nil, true
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return &n, err == nil && n >= 0
	}
	mj, ok1 := num(maj)
	mn, ok2 := num(min)
	if !ok1 || !ok2 {
		return specs.LinuxDeviceCgroup{}, bad
	}
	return specs.LinuxDeviceCgroup{Allow: true, Type: f[0], Major: mj, Minor: mn, Access: f[2]}, nil
}

// checkLinks resolves --link NAME[:ALIAS] at create into docker's
// "/NAME:/SELF/ALIAS" form: the container must exist, and links live on
// a bridge.
func (e *Local) checkLinks(c *Container) error {
	if len(c.Host.Links) == 0 {
		return nil
	}
	if m := c.Host.NetworkMode; m == "host" || m == "none" || strings.HasPrefix(m, "container:") {
		return exitErr(ExitEngine, "conflicting options: %s type networking can't be used with links. This would result in undefined behavior", m)
	}
	for i, l := range c.Host.Links {
		name, alias, _ := strings.Cut(l, ":")
		o, err := e.Lookup(name)
		if err != nil {
			return exitErr(ExitEngine, "could not get container for %s", name)
		}
		if alias == "" {
			alias = o.Name
		}
		c.Host.Links[i] = "/" + o.Name + ":/" + c.Name + "/" + alias
	}
	return nil
}

// linkHosts are the hosts entries of the container's --link targets
// (alias and name at the target's address); a target not running
// contributes none, as it has no address.
func (e *Local) linkHosts(c *Container) []string {
	var out []string
	m, err := e.Networks()
	if err != nil {
		return nil
	}
	for _, l := range c.Host.Links {
		from, to, _ := strings.Cut(l, ":")
		target := strings.TrimPrefix(from, "/")
		alias := to[strings.LastIndex(to, "/")+1:]
		o, err := e.Lookup(target)
		if err != nil {
			continue
		}
		eps, err := m.Endpoints(o.ID)
		if err != nil || len(eps) == 0 {
			continue
		}
		ip, _, _ := strings.Cut(eps[0].IP, "/")
		out = append(out, alias+":"+ip)
		if alias != target {
			out = append(out, target+":"+ip)
		}
	}
	return out
}

// setShmSize sizes the recipe's /dev/shm tmpfs (0 leaves docker's 64m).
func setShmSize(s *specs.Spec, size int64) {
	if size <= 0 {
		return
	}
	for i, m := range s.Mounts {
		if m.Destination != "/dev/shm" || m.Type != "tmpfs" {
			continue
		}
		for j, o := range m.Options {
			if strings.HasPrefix(o, "size=") {
				s.Mounts[i].Options[j] = fmt.Sprintf("size=%d", size)
			}
		}
	}
}
