package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/caps"
	"github.com/jinn-containers/jinn/internal/nsexec"
	"github.com/jinn-containers/jinn/internal/rootfs"
	"github.com/jinn-containers/jinn/internal/seccomp"
)

// CInitEnv switches the C init: "0" never (the Go init for every
// container), "1" or unset: whenever cinitCovers.
const CInitEnv = "JINN_RUNTIME_CINIT"

// cinitDefault is the choice when CInitEnv is unset.
const cinitDefault = true

// cinitCovers is the one place that chooses the container's init: the C
// init (internal/nsexec/cinit.c: no Go runtime start in the container's
// process) or the Go one (Init). The C init covers:
//   - new namespaces made by clone (pid, network, ipc, uts, mount) and a
//     new cgroup namespace, with a mount namespace;
//   - network, ipc, uts and pid namespaces joined by path (a pod's
//     sandbox), which the nsexec stage joins before the plan runs;
//   - the spec's mounts in order: binds with flags, propagation and
//     recursive attributes, proc, sysfs, tmpfs, devpts, mqueue and any
//     other filesystem by type, cgroup on v1, hybrid and v2 hosts, with
//     or without a cgroup namespace; default and linux.devices, /dev
//     links; masked and read-only paths, rootfs propagation, a read-only
//     root; pivot_root or --no-pivot;
//   - sysctls, hostname, domainname, oom_score_adj, a session keyring;
//   - rlimits, user, groups, umask, capabilities, no_new_privs, a seccomp
//     filter without notify, cwd, env, the PATH lookup;
//   - a terminal (the master to the console socket or run's relay);
//   - prestart and createRuntime hooks (run by the parent), create and run;
//   - exec into such a container (after the nsexec stage joined it).
//
// Everything else is the Go init's: user namespaces and idmapped mounts,
// mount and cgroup namespaces joined by path, time namespaces, no mount
// namespace, createContainer and startContainer hooks (they run inside),
// seccomp notify, personality.
func cinitCovers(spec *specs.Spec, exec bool) bool {
	switch os.Getenv(CInitEnv) {
	case "0":
		return false
	case "1":
	default:
		if !cinitDefault {
			return false
		}
	}
	p, l := spec.Process, spec.Linux
	// Namespaces joined by path (a pod's network, ipc and uts; exec's all)
	// are joined by the nsexec stage (header) before the plan runs; the
	// kinds of joins the plan cannot follow are refused below.
	if l == nil {
		return false
	}
	mnt, ok := nsOf(spec, specs.MountNamespace)
	if !ok || mnt.Path != "" && !exec {
		return false
	}
	for _, t := range []specs.LinuxNamespaceType{specs.UserNamespace, specs.TimeNamespace} {
		if _, ok := nsOf(spec, t); ok {
			return false
		}
	}
	if ns, ok := nsOf(spec, specs.CgroupNamespace); ok && ns.Path != "" && !exec {
		return false
	}
	h := hooksOf(spec)
	if !exec && len(h.CreateContainer)+len(h.StartContainer) > 0 || l.Personality != nil {
		return false
	}
	if l.Seccomp != nil && seccomp.UsesNotify(l.Seccomp) {
		return false
	}
	// The C init's fixed tables (cinit_exec.c, cinit_fs.c).
	if len(p.Args) > 1024 || len(p.Env) > 1000 || len(p.Rlimits) > 32 || len(p.User.AdditionalGids) > 256 {
		return false
	}
	for _, m := range spec.Mounts {
		if exec {
			break // made by create
		}
		for _, opt := range m.Options {
			if opt == "idmap" || opt == "ridmap" {
				return false
			}
		}
		if _, prop, _ := rootfs.ParseOptions(m.Options); len(prop) > 8 || len(m.UIDMappings)+len(m.GIDMappings) > 0 {
			return false
		}
	}
	return true
}

// cinitPlan is the C init's plan: the Go init's steps (initMain,
// startUser, finish) in their order, with everything that does not need
// the container's namespaces worked out here.
//
// With limitsLate, where the init joins its cgroups before it makes the
// devices (a cgroup mount in the spec), the devices and all after them
// are a third part, which the parent sends once it has set the cgroup
// limits: the init joins and makes its cgroup mounts and the mounts after
// them meanwhile. Nothing before that part touches a device node, and the
// limits bind the user program, which starts only after them (v1 cpusets
// are filled in by Apply, before the join).
func cinitPlan(spec *specs.Spec, cfg *initConfig, id string, sc *seccomp.Program, limitsLate bool) ([][]byte, error) {
	p, err := newCInitPlan()
	if err != nil {
		return nil, err
	}
	// The mounts before the first cgroup mount are made while the parent
	// makes the cgroups; then the init joins them (and a new cgroup
	// namespace, rooted there), as the Go init waits for "cgroup".
	cgNS, hasCgNS := nsOf(spec, specs.CgroupNamespace)
	joined := false
	join := func() error {
		if joined {
			return nil
		}
		joined = true
		p.Split()
		for _, t := range cfg.CgroupTasks {
			if strings.HasPrefix(t, taskFdPrefix) {
				return fmt.Errorf("cinit: cgroup tasks by fd")
			}
			p.JoinTasks(t)
		}
		if hasCgNS && cgNS.Path == "" {
			p.Unshare(unix.CLONE_NEWCGROUP)
		}
		if limitsLate {
			p.SplitBeforeDevices()
		}
		return nil
	}
	rc := &rootfs.Config{Rootfs: cfg.Rootfs, Bundle: cfg.Bundle, Spec: spec, CgroupNS: hasCgNS && cgNS.Path == "",
		BeforeCgroup: join, CgroupMounts: cfg.CgroupMounts}
	if err := rootfs.PlanSetup(p, rc); err != nil {
		return nil, err
	}
	if spec.Process.Cwd != "" {
		p.Mkdir(spec.Process.Cwd)
	}
	if err := join(); err != nil {
		return nil, err
	}
	pr := spec.Process
	if h := hooksOf(spec); len(h.Prestart)+len(h.CreateRuntime) > 0 {
		p.Hooks()
	}
	if pr.Terminal {
		planConsole(p, pr, cfg.ConsoleFd, true)
	}
	if pr.OOMScoreAdj != nil {
		p.WriteProc("set oom_score_adj", "/proc/self/oom_score_adj", strconv.Itoa(*pr.OOMScoreAdj))
	}
	if cfg.NewKeyring {
		p.Keyring("_ses." + id)
	}
	p.Pivot(cfg.Rootfs, cfg.NoPivot)
	// In order: the same config gives the same plan (runplan.go).
	keys := make([]string, 0, len(spec.Linux.Sysctl))
	for k := range spec.Linux.Sysctl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rel, err := sysctlPath(k)
		if err != nil {
			return nil, err
		}
		p.Sysctl(k, rel, spec.Linux.Sysctl[k])
	}
	rootfs.PlanFinish(p, rc)
	if spec.Hostname != "" {
		p.Hostname(spec.Hostname)
	}
	if spec.Domainname != "" {
		p.Domainname(spec.Domainname)
	}
	proc, err := cinitProcess(spec, cfg, sc)
	if err != nil {
		return nil, err
	}
	p.Process(proc)
	return p.Parts(), nil
}

// cinitExecPlan is execInit's plan: the process joins the container's
// cgroups (tasks files the parent opened) and its terminal, and is
// exec'd; the nsexec stage put it in the container's namespaces.
// sc is the container's seccomp program if compiled already.
func cinitExecPlan(spec *specs.Spec, cfg *initConfig, sc *seccomp.Program) ([][]byte, error) {
	p, err := newCInitPlan()
	if err != nil {
		return nil, err
	}
	for _, t := range cfg.CgroupTasks {
		if n, ok := strings.CutPrefix(t, taskFdPrefix); ok {
			fd, err := strconv.Atoi(n)
			if err != nil {
				return nil, fmt.Errorf("join cgroup: %w", err)
			}
			p.JoinFd(fd)
		} else {
			p.JoinTasks(t)
		}
	}
	if pr := spec.Process; pr.Terminal {
		p.OpenRoot("/") // the container's, entered by setns
		planConsole(p, pr, cfg.ConsoleFd, false)
	}
	proc, err := cinitProcess(spec, cfg, sc)
	if err != nil {
		return nil, err
	}
	p.Process(proc)
	return p.Parts(), nil
}

// newCInitPlan starts a plan as Init starts: the runtime's oom_score_adj
// given back.
func newCInitPlan() (*nsexec.Plan, error) {
	p := nsexec.NewPlan(initComm)
	if v := os.Getenv(oomScoreEnv); v != "" {
		if _, err := strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("restore oom_score_adj: bad %s", oomScoreEnv)
		}
		p.WriteProc("restore oom_score_adj", "/proc/self/oom_score_adj", v)
	}
	return p, nil
}

func planConsole(p *nsexec.Plan, pr *specs.Process, sock int, console bool) {
	b := pr.ConsoleSize
	if b == nil {
		b = &specs.Box{}
	}
	p.Console(sock, b.Height, b.Width, pr.ConsoleSize != nil, console)
}

// sysctlPath checks a sysctl key as sysctl and writeProcSys do and names
// its file under /proc.
func sysctlPath(k string) (string, error) {
	if strings.Contains(k, "..") || strings.Contains(k, "/") && strings.Contains(k, ".") ||
		k == "" || strings.HasPrefix(k, "/") {
		return "", fmt.Errorf("invalid sysctl %q", k)
	}
	if strings.Contains(k, "/") {
		return filepath.Join("sys", k), nil
	}
	return filepath.Join("sys", strings.ReplaceAll(k, ".", "/")), nil
}

// cinitProcess is the process part of a plan; sc is its seccomp program
// if already compiled (nil: compiled here).
func cinitProcess(spec *specs.Spec, cfg *initConfig, sc *seccomp.Program) (*nsexec.Process, error) {
	p := spec.Process
	out := &nsexec.Process{Args: p.Args, Env: append(p.Env[:len(p.Env):len(p.Env)], cfg.ExtraEnv...),
		Cwd: p.Cwd, UID: p.User.UID, GID: p.User.GID, Groups: p.User.AdditionalGids, Umask: 0o022,
		NoNewPrivs: p.NoNewPrivileges, ExtraFds: cfg.ExtraFds, FifoFd: cfg.FifoFd}
	if len(p.Args) == 0 {
		return nil, fmt.Errorf("process.args is empty")
	}
	if p.User.Umask != nil {
		out.Umask = *p.User.Umask
	}
	for _, r := range p.Rlimits {
		t, ok := rlimitTypes[r.Type]
		if !ok {
			t = -1 // an error at exec time, as in finish
		}
		out.Rlimits = append(out.Rlimits, nsexec.Rlimit{Name: r.Type, Type: t, Soft: r.Soft, Hard: r.Hard})
	}
	if p.Capabilities != nil {
		m, last, err := caps.Masks(p.Capabilities)
		if err != nil {
			return nil, fmt.Errorf("apply capabilities: %w", err)
		}
		out.Caps, out.LastCap = &m, last
	}
	if prof := spec.Linux.Seccomp; prof != nil {
		prog := sc
		if prog == nil {
			var err error
			if prog, err = seccomp.Compile(prof); err != nil {
				return nil, err
			}
		}
		out.Seccomp, out.SeccompFlg = prog.Filter, prog.Flags
	}
	return out, nil
}
