package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/nsexec"
)

// The C init (internal/nsexec/cinit.c) builds the rootfs from a plan that
// the parent writes here, from the same tables and in the same order as
// Prepare, MountAll, Devices and Finish: what only depends on the config
// and the host is decided here, what depends on the rootfs's contents
// (symlinks, existing files, the /proc rule) is checked in the container
// by the C side, through the rootfs descriptor. Only a new mount
// namespace without a user namespace or idmapped mounts is planned
// (runtime.cinitCovers).

// PlanSetup plans Prepare, MountAll and Devices.
func PlanSetup(p *nsexec.Plan, c *Config) error {
	if c.HostMounts || c.UserNS || c.RootfsFd > 0 || len(c.MountFds) > 0 {
		return fmt.Errorf("rootfs plan: config not covered by the C init")
	}
	for f := range lxcfsFiles {
		p.ProcFile(f)
	}
	prop := uintptr(unix.MS_PRIVATE | unix.MS_REC)
	if f, ok := propagationFlags[c.Spec.Linux.RootfsPropagation]; ok {
		prop = f
	} else if c.Spec.Linux.RootfsPropagation != "" {
		return fmt.Errorf("invalid rootfsPropagation %q", c.Spec.Linux.RootfsPropagation)
	}
	p.HostMount("make / "+c.Spec.Linux.RootfsPropagation, "", "/", "", prop, "")
	if prop != unix.MS_PRIVATE|unix.MS_REC {
		mp, err := mountPointOf(c.Rootfs)
		if err != nil {
			return err
		}
		p.HostMount("make "+mp+" private", "", mp, "", unix.MS_PRIVATE, "")
	}
	p.HostMount("bind rootfs "+c.Rootfs, c.Rootfs, c.Rootfs, "", unix.MS_BIND|unix.MS_REC, "")
	p.OpenRoot(c.Rootfs)
	for _, m := range c.Spec.Mounts {
		if err := planMount(p, c, m); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.Source, m.Destination, err)
		}
	}
	return planDevices(p, c)
}

func planMount(p *nsexec.Plan, c *Config, m specs.Mount) error {
	if !filepath.IsAbs(m.Destination) {
		return fmt.Errorf("destination is not absolute")
	}
	flags, prop, data := ParseOptions(m.Options)
	if isCgroup(m) {
		if err := c.enterCgroup(); err != nil {
			return err
		}
		return planCgroup(p, c, m, flags)
	}
	pm := nsexec.Mount{Source: m.Source, Destination: m.Destination, SourcePath: m.Source, Type: m.Type,
		Flags: flags, Data: data, Propagation: prop, Recursive: recursiveAttr(m.Options)}
	if pm.Type == "bind" || pm.Type == "none" {
		pm.Type = ""
	}
	switch m.Type {
	case "proc":
		pm.Kind |= nsexec.MountProc
	case "sysfs":
		pm.Kind |= nsexec.MountSysfs
	}
	if isBind(m) {
		pm.Kind |= nsexec.MountBind
		if !filepath.IsAbs(pm.SourcePath) {
			pm.SourcePath = filepath.Join(c.Bundle, pm.SourcePath)
		}
	}
	p.Mount(pm)
	return nil
}

// planCgroup is mountCgroup's plan: the host's hierarchies, and for each
// the key under which the init finds its own cgroup in /proc/self/cgroup
// once it has joined it.
func planCgroup(p *nsexec.Plan, c *Config, m specs.Mount, flags uintptr) error {
	hosts, own, err := cgroupHosts(c)
	if err != nil {
		return err
	}
	key := func(h cgroups.Mount) string {
		if h.Type == "cgroup2" {
			return ""
		}
		for ctrls := range own {
			if ctrls != "cgroup2" && hasOption(h, strings.Split(ctrls, ",")[0]) {
				return ctrls
			}
		}
		return "\x00none" // no line: the path stays "" as in mountCgroup
	}
	data := func(h cgroups.Mount) string {
		var d []string
		for _, o := range h.Options {
			if o != "rw" && o != "ro" {
				d = append(d, o)
			}
		}
		return strings.Join(d, ",")
	}
	pc := nsexec.Cgroup{Source: m.Source, Destination: m.Destination, ReadOnly: flags&unix.MS_RDONLY != 0,
		CgroupNS: c.CgroupNS, Flags: flags &^ (unix.MS_RDONLY | unix.MS_BIND | unix.MS_REC)}
	v1 := false
	for _, h := range hosts {
		v1 = v1 || h.Type == "cgroup"
	}
	if !v1 || m.Type == "cgroup2" {
		for _, h := range hosts {
			if h.Type == "cgroup2" {
				pc.Hierarchies = []nsexec.Hierarchy{{Destination: m.Destination, Type: h.Type, Data: data(h), Point: h.Point, Key: key(h)}}
				p.Cgroup(pc)
				return nil
			}
		}
		return fmt.Errorf("no cgroup2 hierarchy on the host")
	}
	pc.Tmpfs = true
	base := filepath.Dir(hosts[0].Point)
	for _, h := range hosts {
		if filepath.Dir(h.Point) != base {
			continue
		}
		dst := filepath.Join(m.Destination, filepath.Base(h.Point))
		pc.Hierarchies = append(pc.Hierarchies, nsexec.Hierarchy{Destination: dst, Type: h.Type, Data: data(h), Point: h.Point, Key: key(h)})
		if name := filepath.Base(h.Point); strings.Contains(name, ",") {
			for _, ctrl := range strings.Split(name, ",") {
				pc.Links = append(pc.Links, [2]string{name, ctrl})
			}
		}
	}
	p.Cgroup(pc)
	return nil
}

// planDevices is Devices' plan (no user namespace: nodes are made).
func planDevices(p *nsexec.Plan, c *Config) error {
	all := append([]specs.LinuxDevice{}, DefaultDevices...)
	if c.Spec.Linux != nil {
		all = append(all, c.Spec.Linux.Devices...)
	}
	for _, d := range all {
		n, err := nodeOf(d)
		if err != nil {
			return fmt.Errorf("device %s: %w", d.Path, err)
		}
		p.Mknod(d.Path, n.typ, n.mode, unix.Mkdev(uint32(d.Major), uint32(d.Minor)), n.uid, n.gid)
	}
	for _, l := range [][2]string{
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
	} {
		p.Symlink(l[0], "/dev/"+l[1])
	}
	if _, err := os.Stat("/proc/kcore"); err == nil {
		p.Symlink("/proc/kcore", "/dev/core")
	}
	return nil
}

// PlanFinish plans Finish (after the pivot).
func PlanFinish(p *nsexec.Plan, c *Config) {
	l := c.Spec.Linux
	for _, m := range l.MaskedPaths {
		p.Mask(m)
	}
	for _, r := range l.ReadonlyPaths {
		p.Readonly(r)
	}
	if c.Spec.Root.Readonly {
		p.RootReadonly()
	}
	if f, ok := propagationFlags[l.RootfsPropagation]; ok {
		p.Propagate(f)
	}
}
