package engine

import (
	"fmt"
	"os"
	"strings"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Docker's default capabilities.
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

var allCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

var maskedPaths = []string{
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap",
}

var readonlyPaths = []string{
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

func u32(v uint32) *uint32 { return &v }
func i64(v int64) *int64   { return &v }

// defaultDevices is docker's device cgroup allow list.
func defaultDevices() []specs.LinuxDeviceCgroup {
	dev := func(t string, maj, min int64, acc string) specs.LinuxDeviceCgroup {
		d := specs.LinuxDeviceCgroup{Allow: true, Type: t, Access: acc}
		if maj >= 0 {
			d.Major = i64(maj)
		}
		if min >= 0 {
			d.Minor = i64(min)
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

// capName normalises "net_admin" to "CAP_NET_ADMIN".
func capName(c string) string {
	c = strings.ToUpper(c)
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	return c
}

// capabilities applies --cap-add/--cap-drop (with ALL) to docker's default set.
func capabilities(h *HostConfig) ([]string, error) {
	if h.Privileged {
		return allCaps, nil
	}
	known := map[string]bool{}
	for _, c := range allCaps {
		known[c] = true
	}
	set := map[string]bool{}
	for _, c := range defaultCaps {
		set[c] = true
	}
	for _, c := range h.CapDrop {
		if strings.EqualFold(c, "ALL") {
			set = map[string]bool{}
			continue
		}
		if !known[capName(c)] {
			return nil, fmt.Errorf("invalid capability: %s", c)
		}
		delete(set, capName(c))
	}
	for _, c := range h.CapAdd {
		if strings.EqualFold(c, "ALL") {
			for _, a := range allCaps {
				set[a] = true
			}
			continue
		}
		if !known[capName(c)] {
			return nil, fmt.Errorf("invalid capability: %s", c)
		}
		set[capName(c)] = true
	}
	var out []string
	for _, c := range allCaps {
		if set[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

var rlimitNames = map[string]string{
	"core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA", "fsize": "RLIMIT_FSIZE",
	"locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK", "msgqueue": "RLIMIT_MSGQUEUE",
	"nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE", "nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS",
	"rtprio": "RLIMIT_RTPRIO", "rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING",
	"stack": "RLIMIT_STACK", "as": "RLIMIT_AS",
}

// specInput is everything the spec is made of.
type specInput struct {
	c            *Container
	rootfs       string // the mounted root filesystem
	user         execUser
	env          []string
	netns        string // path of the network namespace the engine made
	hostDir      string // where hostname, hosts, resolv.conf are
	initBin      string // jinn-init on the host, for --init
	cgroupParent string // the engine's parent cgroup
	// consoleSize is the attached terminal's rows and columns (0: none):
	// the runtime sizes the pty before the process runs, as docker does.
	consoleSize [2]uint16
}

// initPath is where --init's init is mounted, docker's path.
const initPath = "/sbin/docker-init"

// processArgs is the container's argv, behind the init with --init.
func processArgs(c *Container) []string {
	argv := append([]string{c.Path}, c.Args...)
	if c.Host.Init {
		argv = append([]string{initPath, "--"}, argv...)
	}
	return argv
}

// buildSpec makes the OCI spec from the container's config; cgroupsPath is
// /jinn/<id> on every runtime.
func buildSpec(in *specInput) (*specs.Spec, error) {
	c, h := in.c, &in.c.Host
	caps, err := capabilities(h)
	if err != nil {
		return nil, err
	}
	cwd := c.Config.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	oomAdj := h.OomScoreAdj
	p := &specs.Process{
		Terminal: c.Config.Tty,
		User:     specs.User{UID: in.user.UID, GID: in.user.GID},
		Args:     processArgs(c),
		Env:      in.env,
		Cwd:      cwd,
		Capabilities: &specs.LinuxCapabilities{
			Bounding: caps, Effective: caps, Permitted: caps,
		},
		// Set explicitly so the container does not inherit the monitor's -999.
		OOMScoreAdj: &oomAdj,
	}
	if c.Config.Tty && in.consoleSize[0] > 0 && in.consoleSize[1] > 0 {
		p.ConsoleSize = &specs.Box{Height: uint(in.consoleSize[0]), Width: uint(in.consoleSize[1])}
	}
	if in.user.UID != 0 {
		p.Capabilities.Effective, p.Capabilities.Permitted = nil, nil
	}
	for _, ul := range h.Ulimits {
		p.Rlimits = append(p.Rlimits, specs.POSIXRlimit{Type: rlimitNames[ul.Name], Soft: uint64(ul.Soft), Hard: uint64(ul.Hard)})
	}
	for _, o := range h.SecurityOpt {
		if o == "no-new-privileges" || o == "no-new-privileges:true" || o == "no-new-privileges=true" {
			p.NoNewPrivileges = true
		}
	}
	s := &specs.Spec{
		// 1.0.2: the newest version every runtime here (runc 1.1, crun 1.8) accepts.
		Version:  "1.0.2",
		Process:  p,
		Root:     &specs.Root{Path: in.rootfs, Readonly: h.ReadonlyRootfs},
		Hostname: c.Config.Hostname,
		Mounts:   defaultMounts(h.Privileged),
		Linux: &specs.Linux{
			CgroupsPath: "/" + in.cgroupParent + "/" + c.ID,
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
				{Type: specs.MountNamespace},
			},
			Resources: resources(h),
		},
	}
	if in.netns != "" { // "" is --network host: the host's namespace
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: in.netns})
	}
	if !h.Privileged {
		s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = maskedPaths, readonlyPaths
	}
	if err := applySeccomp(s, h); err != nil {
		return nil, err
	}
	for _, f := range []string{"hostname", "hosts", "resolv.conf"} {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/etc/" + f, Type: "bind",
			Source: in.hostDir + "/" + f, Options: []string{"rbind", "rprivate"}})
	}
	if h.Init {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: initPath, Type: "bind", Source: in.initBin,
			Options: []string{"bind", "ro", "rprivate"}})
	}
	for _, m := range c.Mounts {
		switch m.Type {
		case "tmpfs":
			opts := []string{"nosuid", "nodev", "noexec"}
			if m.Options != "" {
				opts = strings.Split(m.Options, ",")
			}
			s.Mounts = append(s.Mounts, specs.Mount{Destination: m.Destination, Type: "tmpfs", Source: "tmpfs", Options: opts})
		default:
			opts := []string{"rbind"}
			if !m.RW {
				opts = append(opts, "ro")
			}
			prop := m.Propagation
			if prop == "" {
				prop = "rprivate"
			}
			opts = append(opts, prop)
			s.Mounts = append(s.Mounts, specs.Mount{Destination: m.Destination, Type: "bind", Source: m.Source, Options: opts})
		}
	}
	return s, nil
}

func defaultMounts(privileged bool) []specs.Mount {
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

// resources maps the resource flags onto linux.resources.
func resources(h *HostConfig) *specs.LinuxResources {
	r := &specs.LinuxResources{Devices: defaultDevices()}
	if h.Privileged {
		r.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	}
	mem := &specs.LinuxMemory{}
	if h.Memory > 0 {
		mem.Limit = i64(h.Memory)
		switch {
		case h.MemorySwap > 0:
			mem.Swap = i64(h.MemorySwap)
		case h.MemorySwap == -1:
			mem.Swap = i64(-1)
		default:
			// Docker: swap defaults to as much again as memory.
			mem.Swap = i64(2 * h.Memory)
		}
	}
	if h.MemoryReservation > 0 {
		mem.Reservation = i64(h.MemoryReservation)
	}
	if h.OomKillDisable != nil && *h.OomKillDisable {
		mem.DisableOOMKiller = h.OomKillDisable
	}
	if *mem != (specs.LinuxMemory{}) {
		r.Memory = mem
	}
	cpu := &specs.LinuxCPU{}
	set := false
	if h.NanoCpus > 0 {
		period := uint64(100000)
		cpu.Period = &period
		cpu.Quota = i64(h.NanoCpus * int64(period) / 1e9)
		set = true
	}
	if h.CPUShares > 0 {
		sh := uint64(h.CPUShares)
		cpu.Shares, set = &sh, true
	}
	if h.CpusetCpus != "" {
		cpu.Cpus, set = h.CpusetCpus, true
	}
	if set {
		r.CPU = cpu
	}
	if h.PidsLimit != nil && *h.PidsLimit != 0 {
		r.Pids = &specs.LinuxPids{Limit: h.PidsLimit}
	}
	if h.BlkioWeight > 0 || len(h.BlkioDeviceReadBps) > 0 || len(h.BlkioDeviceWriteBps) > 0 {
		b := &specs.LinuxBlockIO{}
		if h.BlkioWeight > 0 {
			w := h.BlkioWeight
			b.Weight = &w
		}
		b.ThrottleReadBpsDevice = throttle(h.BlkioDeviceReadBps)
		b.ThrottleWriteBpsDevice = throttle(h.BlkioDeviceWriteBps)
		r.BlockIO = b
	}
	return r
}

func throttle(ds []ThrottleDevice) []specs.LinuxThrottleDevice {
	var out []specs.LinuxThrottleDevice
	for _, d := range ds {
		var st unix.Stat_t
		if unix.Stat(d.Path, &st) != nil {
			continue
		}
		t := specs.LinuxThrottleDevice{Rate: d.Rate}
		t.Major, t.Minor = int64(unix.Major(uint64(st.Rdev))), int64(unix.Minor(uint64(st.Rdev)))
		out = append(out, t)
	}
	return out
}

// containerEnv is docker's environment: PATH, HOSTNAME, TERM, the image's,
// then the user's, later keys overriding earlier ones.
func containerEnv(hostname string, tty bool, home string, imageEnv, userEnv []string) []string {
	base := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=" + hostname}
	if tty {
		base = append(base, "TERM=xterm")
	}
	base = append(base, imageEnv...)
	base = append(base, userEnv...)
	idx := map[string]int{}
	var out []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	if _, ok := idx["HOME"]; !ok {
		out = append(out, "HOME="+home)
	}
	return out
}

// writeEtcFiles writes the container's hostname, hosts and resolv.conf.
func writeEtcFiles(dir, hostname string) error {
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.1.1\t" + hostname + "\n"
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		resolv = []byte("nameserver 8.8.8.8\n")
	}
	for name, data := range map[string][]byte{"hostname": []byte(hostname + "\n"), "hosts": []byte(hosts), "resolv.conf": resolv} {
		if err := os.WriteFile(dir+"/"+name, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// applySeccomp gives the container docker's default seccomp profile (with
// the syscalls its capabilities allow), none with --privileged or
// --security-opt seccomp=unconfined, or a JSON profile from a file.
func applySeccomp(s *specs.Spec, h *HostConfig) error {
	profile := ""
	for _, o := range h.SecurityOpt {
		k, v, _ := strings.Cut(o, "=")
		if k == "seccomp" {
			profile = v
		} else if strings.HasPrefix(o, "seccomp:") {
			profile = strings.TrimPrefix(o, "seccomp:")
		}
	}
	switch {
	case profile == "unconfined":
		return nil
	case profile != "":
		b, err := os.ReadFile(profile)
		if err != nil {
			return fmt.Errorf("opening seccomp profile (%s) failed: %w", profile, err)
		}
		sc, err := mobyseccomp.LoadProfile(string(b), s)
		if err != nil {
			return fmt.Errorf("decoding seccomp profile failed: %w", err)
		}
		s.Linux.Seccomp = sc
		return nil
	case h.Privileged:
		return nil
	}
	sc, err := mobyseccomp.GetDefaultProfile(s)
	if err != nil {
		return fmt.Errorf("seccomp profile: %w", err)
	}
	s.Linux.Seccomp = sc
	return nil
}
