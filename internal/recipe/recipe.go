// Package recipe is the container recipe: what every container jinn makes
// gets unless its flags say otherwise. Docker's default capabilities,
// masked and read-only paths, mounts, device rules and seccomp profile
// live here once; the engine (jinn run, the API) and the builder (a
// Dockerfile RUN) both start from Spec, so a RUN step is confined exactly
// like a container of the same image.
package recipe

import (
	"fmt"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/caps"
	"github.com/jinn-containers/jinn/internal/cgroups"
)

// DefaultPath is the PATH a container gets when its image sets none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// DefaultCaps is docker's default capability set.
var DefaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// AllCaps is every capability the kernel knows, in its order; HostCaps is
// the part of it that --privileged and --cap-add ALL grant.
var AllCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// HostCaps is what --privileged and --cap-add ALL grant: every capability
// of AllCaps that the engine's own bounding set holds (docker's rule; a
// host without CAP_SYS_RESOURCE in it still runs privileged containers).
func HostCaps() ([]string, error) {
	bnd, err := caps.Bounding()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(AllCaps))
	for _, c := range AllCaps {
		if bnd[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// MaskedPaths are hidden from an unprivileged container (docker's list).
var MaskedPaths = []string{
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap",
}

// ReadonlyPaths are read-only in an unprivileged container.
var ReadonlyPaths = []string{
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

// Mounts are a container's standard mounts; sysfs and the cgroup tree are
// writable only when privileged.
func Mounts(privileged bool) []specs.Mount {
	ro := "ro"
	if privileged {
		ro = "rw"
	}
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", ro}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", ro}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}},
	}
}

// Devices is docker's device cgroup allow list.
func Devices() []specs.LinuxDeviceCgroup {
	dev := func(t string, maj, min int64, acc string) specs.LinuxDeviceCgroup {
		d := specs.LinuxDeviceCgroup{Allow: true, Type: t, Access: acc}
		if maj >= 0 {
			d.Major = &maj
		}
		if min >= 0 {
			d.Minor = &min
		}
		return d
	}
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		dev("c", -1, -1, "m"), dev("b", -1, -1, "m"),
		dev("c", 1, 3, "rwm"), dev("c", 1, 5, "rwm"), dev("c", 1, 7, "rwm"), dev("c", 1, 8, "rwm"),
		dev("c", 1, 9, "rwm"), dev("c", 5, 0, "rwm"), dev("c", 5, 1, "rwm"), dev("c", 5, 2, "rwm"),
		dev("c", 136, -1, "rwm"), dev("c", 10, 200, "rwm"),
	}
}

// Options are what differs between containers made from the recipe.
type Options struct {
	ID string
	// CgroupParent is --cgroup-parent ("" is jinn): the cgroup is
	// /<parent>/<ID> on every runtime.
	CgroupParent string
	Rootfs       string
	Hostname     string
	Args         []string
	Env          []string
	Cwd          string // "" is /
	User         specs.User
	// Netns is the network namespace to join by path; "" makes a new one
	// unless HostNetwork shares the host's.
	Netns       string
	HostNetwork bool
	Privileged  bool     // all capabilities and devices, nothing masked, no seccomp
	Caps        []string // nil: DefaultCaps (HostCaps when privileged)
}

// CgroupsPath is the cgroup of container id under parent ("" is jinn's
// default), absolute so that every runtime puts it in the same place.
func CgroupsPath(parent, id string) string { return "/" + cgroups.CleanParent(parent) + "/" + id }

// specVersion is the newest version every runtime here (runc 1.1, crun
// 1.8) accepts.
const specVersion = "1.0.2"

// Spec is the recipe's OCI spec: namespaces, mounts, masks, capabilities,
// device rules and docker's default seccomp profile (none when privileged).
func Spec(o *Options) (*specs.Spec, error) {
	caps := o.Caps
	if caps == nil {
		caps = DefaultCaps
		if o.Privileged {
			var err error
			if caps, err = HostCaps(); err != nil {
				return nil, err
			}
		}
	}
	cwd := o.Cwd
	if cwd == "" {
		cwd = "/"
	}
	oomAdj := 0 // not the engine's -999, which its monitors keep
	p := &specs.Process{
		Args: o.Args, Env: o.Env, Cwd: cwd, User: o.User,
		Capabilities: &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
		OOMScoreAdj:  &oomAdj,
	}
	if o.User.UID != 0 { // docker: a non-root user starts with none effective
		p.Capabilities.Effective, p.Capabilities.Permitted = nil, nil
	}
	ns := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
		{Type: specs.MountNamespace},
	}
	if !o.HostNetwork {
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: o.Netns})
	}
	s := &specs.Spec{
		Version:  specVersion,
		Process:  p,
		Root:     &specs.Root{Path: o.Rootfs},
		Hostname: o.Hostname,
		Mounts:   Mounts(o.Privileged),
		Linux: &specs.Linux{
			CgroupsPath: CgroupsPath(o.CgroupParent, o.ID),
			Namespaces:  ns,
			Resources:   &specs.LinuxResources{Devices: Devices()},
		},
	}
	if o.Privileged {
		s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
		return s, nil
	}
	s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = MaskedPaths, ReadonlyPaths
	return s, Seccomp(s)
}

// Seccomp gives s docker's default seccomp profile, with the syscalls its
// capabilities allow (call it after the capabilities are final).
func Seccomp(s *specs.Spec) error {
	sc, err := mobyseccomp.GetDefaultProfile(s)
	if err != nil {
		return fmt.Errorf("seccomp profile: %w", err)
	}
	s.Linux.Seccomp = sc
	return nil
}
