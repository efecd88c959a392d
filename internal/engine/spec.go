package engine

import (
	"fmt"
	"slices"
	"strings"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/recipe"
)

func i64(v int64) *int64 { return &v }

// capName normalises "net_admin" to "CAP_NET_ADMIN".
func capName(c string) string {
	c = strings.ToUpper(c)
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	return c
}

// capabilities applies --cap-add/--cap-drop to docker's default set, by
// docker's rules: --privileged and --cap-add ALL give what the engine's
// own bounding set holds, less any --cap-drop; --cap-drop ALL keeps only
// the --cap-add ones; otherwise drops come off the defaults, then adds.
func capabilities(h *HostConfig) ([]string, error) {
	known := map[string]bool{}
	for _, c := range recipe.AllCaps {
		known[c] = true
	}
	addAll, dropAll := false, false
	norm := func(list []string, all *bool) (map[string]bool, error) {
		m := map[string]bool{}
		for _, c := range list {
			if strings.EqualFold(c, "ALL") {
				*all = true
				continue
			}
			if !known[capName(c)] {
				return nil, fmt.Errorf("invalid capability: %s", c)
			}
			m[capName(c)] = true
		}
		return m, nil
	}
	add, err := norm(h.CapAdd, &addAll)
	if err != nil {
		return nil, err
	}
	drop, err := norm(h.CapDrop, &dropAll)
	if err != nil {
		return nil, err
	}
	if h.Privileged || addAll {
		all, err := recipe.HostCaps()
		if err != nil {
			return nil, err
		}
		if h.Privileged {
			return all, nil
		}
		var out []string
		for _, c := range all {
			if !drop[c] {
				out = append(out, c)
			}
		}
		return out, nil
	}
	set := map[string]bool{}
	if !dropAll {
		for _, c := range recipe.DefaultCaps {
			set[c] = !drop[c]
		}
	}
	for c := range add {
		set[c] = true
	}
	var out []string
	for _, c := range recipe.AllCaps {
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

// buildSpec makes the OCI spec: the recipe's, with the container's flags.
func buildSpec(in *specInput) (*specs.Spec, error) {
	c, h := in.c, &in.c.Host
	caps, err := capabilities(h)
	if err != nil {
		return nil, err
	}
	s, err := recipe.Spec(&recipe.Options{
		ID: c.ID, Rootfs: in.rootfs, Hostname: c.Config.Hostname,
		Args: processArgs(c), Env: in.env, Cwd: c.Config.WorkingDir,
		User:  specs.User{UID: in.user.UID, GID: in.user.GID},
		Netns: in.netns, HostNetwork: in.netns == "", // "" is --network host
		Privileged: h.Privileged, Caps: caps, CgroupParent: in.cgroupParent,
	})
	if err != nil {
		return nil, err
	}
	p := s.Process
	p.Terminal = c.Config.Tty
	// Set explicitly so the container does not inherit the monitor's -999.
	oomAdj := h.OomScoreAdj
	p.OOMScoreAdj = &oomAdj
	if c.Config.Tty && in.consoleSize[0] > 0 && in.consoleSize[1] > 0 {
		p.ConsoleSize = &specs.Box{Height: uint(in.consoleSize[0]), Width: uint(in.consoleSize[1])}
	}
	s.Root.Readonly = h.ReadonlyRootfs
	if err := applyLimits(s, h.SecurityOpt, &h.Resources); err != nil {
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

// resources maps the resource flags onto linux.resources.
func resources(h *Resources) *specs.LinuxResources {
	r := &specs.LinuxResources{}
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
	if h.BlkioWeight > 0 || len(h.BlkioDeviceReadBps) > 0 || len(h.BlkioDeviceWriteBps) > 0 || h.BlkioExtras.any() {
		b := &specs.LinuxBlockIO{}
		if h.BlkioWeight > 0 {
			w := h.BlkioWeight
			b.Weight = &w
		}
		b.ThrottleReadBpsDevice = throttle(h.BlkioDeviceReadBps)
		b.ThrottleWriteBpsDevice = throttle(h.BlkioDeviceWriteBps)
		moreBlkio(&h.BlkioExtras, b)
		r.BlockIO = b
	}
	extraResources(h, r)
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
	base := []string{"PATH=" + recipe.DefaultPath, "HOSTNAME=" + hostname}
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

// applySeccomp applies --security-opt seccomp over the recipe's profile:
// none with seccomp=unconfined, or a JSON profile (embedded at create).
func applySeccomp(s *specs.Spec, sec *securityOpts) error {
	switch sec.seccomp {
	case "", "builtin":
		return nil // the recipe's: docker's default, none when privileged
	case "unconfined":
		s.Linux.Seccomp = nil
		return nil
	}
	sc, err := mobyseccomp.LoadProfile(sec.seccomp, s)
	if err != nil {
		return fmt.Errorf("decoding seccomp profile failed: %w", err)
	}
	s.Linux.Seccomp = sc
	return nil
}

// applyLimits lays the ulimits, security options and resource limits
// over a spec made by the recipe: a container's, or a build step's.
func applyLimits(s *specs.Spec, secOpts []string, r *Resources) error {
	p := s.Process
	setRlimits(p, r.Ulimits)
	sec, err := parseSecurityOpts(secOpts, probeLSM())
	if err != nil {
		return err
	}
	p.NoNewPrivileges = sec.noNewPrivileges
	if sec.apparmor != "" && sec.apparmor != "unconfined" {
		p.ApparmorProfile = sec.apparmor
	}
	p.SelinuxLabel = sec.selinuxLabel()
	if sec.unmaskPaths {
		s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
	}
	if sec.writableCgroups {
		for i := range s.Mounts {
			if s.Mounts[i].Destination == "/sys/fs/cgroup" {
				for j, o := range s.Mounts[i].Options {
					if o == "ro" {
						s.Mounts[i].Options[j] = "rw"
					}
				}
			}
		}
	}
	res := resources(r)
	res.Devices = s.Linux.Resources.Devices
	s.Linux.Resources = res
	return applySeccomp(s, sec)
}

// setRlimits sets the ulimits over p's, one of a kind.
func setRlimits(p *specs.Process, uls []Ulimit) {
	for _, ul := range uls {
		rl := specs.POSIXRlimit{Type: rlimitNames[ul.Name], Soft: uint64(ul.Soft), Hard: uint64(ul.Hard)}
		p.Rlimits = slices.DeleteFunc(p.Rlimits, func(x specs.POSIXRlimit) bool { return x.Type == rl.Type })
		p.Rlimits = append(p.Rlimits, rl)
	}
}
