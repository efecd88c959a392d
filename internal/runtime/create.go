package runtime

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/nsexec"
	"github.com/jinn-containers/jinn/internal/rootfs"
	"github.com/jinn-containers/jinn/internal/seccomp"
)

// CreateOpts are create's (and run's) flags.
type CreateOpts struct {
	ID, Bundle, PidFile string
	ConsoleSocket       string   // path of the receiver of the pty master
	Console             *os.File // or an already connected socket (run's own relay)
	NoPivot             bool
	NoNewKeyring        bool
	PreserveFDs         int
	// Stdio are the init's fds 0, 1 and 2 (the caller's own if nil; a
	// nil entry is /dev/null): a shim hands the container its fifos.
	Stdio []*os.File
	// Start makes the init go straight on to execve (run): no exec.fifo.
	Start bool
	// Spec and Config are the bundle's config if the caller has loaded it
	// already (Load).
	Spec    *specs.Spec
	Config  []byte
	seccomp *compiledSeccomp // Spec's profile, compiled by Load's check
	// RunPlan: leave the plan of this run for the C run of the next
	// (runplan.go), if it can replay it (run, not detached).
	RunPlan bool
	// SeccompCache is where Load remembers the seccomp profile it
	// compiled (Runtime.SeccompCache; "": nowhere). Create's own load
	// uses its runtime's.
	SeccompCache string
}

// Created is a container just made; Pid is its init, a child of the
// caller.
type Created struct {
	*Container
	Pid int
}

// nsProcName maps the spec's namespace names to /proc/PID/ns names.
var nsProcName = map[specs.LinuxNamespaceType]string{
	specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.MountNamespace: "mnt",
	specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.UserNamespace: "user",
	specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
}

var cloneFlag = map[specs.LinuxNamespaceType]uintptr{
	specs.PIDNamespace: unix.CLONE_NEWPID, specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.MountNamespace: unix.CLONE_NEWNS, specs.IPCNamespace: unix.CLONE_NEWIPC,
	specs.UTSNamespace: unix.CLONE_NEWUTS, specs.UserNamespace: unix.CLONE_NEWUSER,
	specs.CgroupNamespace: unix.CLONE_NEWCGROUP,
}

// joinOrder puts the mount namespace late: paths are opened before any
// setns, but a reader of the header sees the usual order.
var joinOrder = []specs.LinuxNamespaceType{
	specs.UserNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.NetworkNamespace,
	specs.PIDNamespace, specs.CgroupNamespace, specs.MountNamespace, specs.TimeNamespace,
}

// Create makes the container and leaves its init waiting before execve of
// the user program (or, with o.Start, going on to it). One fork+exec of
// this binary is the whole process tree; the C stage of nsexec runs only
// when a namespace is joined by path or a time namespace is new.
func (r *Runtime) Create(o CreateOpts) (_ *Created, err error) {
	if err := ValidateID(o.ID); err != nil {
		return nil, err
	}
	bundle, err := filepath.Abs(o.Bundle)
	if err != nil {
		return nil, err
	}
	spec, raw := o.Spec, o.Config
	if spec == nil || raw == nil {
		if spec, raw, o.seccomp, err = loadSpec(bundle, r.SeccompCache()); err != nil {
			return nil, err
		}
	}
	if spec.Process.Terminal && o.ConsoleSocket == "" && o.Console == nil {
		return nil, fmt.Errorf("cannot allocate tty if jinn-runtime will detach without setting console socket")
	}
	if !spec.Process.Terminal && o.ConsoleSocket != "" {
		return nil, fmt.Errorf("cannot use console socket if jinn-runtime will not detach or allocate tty")
	}
	r.warnLSM(spec.Process) // confine_validate.go
	c, err := r.newContainer(o.ID)
	if err != nil {
		return nil, err
	}
	c.State = State{ID: o.ID, Bundle: bundle, Rootfs: rootfsPath(spec, bundle), Spec: spec, Config: raw,
		CgroupParent: r.cgroupParent(), Systemd: r.SystemdCgroup}
	// undo runs on failure, before the files are closed: the init is
	// killed before it could see its socket close and complain.
	var undo []func()
	var l *launch
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
			os.RemoveAll(c.Dir)
			c.Close()
		}
		if l != nil {
			l.close()
		}
	}()
	if _, ok := nsOf(spec, specs.MountNamespace); !ok {
		// Mounts made in the runtime's namespace go with a failed create.
		undo = append(undo, func() { rootfs.UnmountUnder(c.State.Rootfs) })
	}

	// Files the child inherits: preserved fds first, at the numbers the
	// container will see, then the runtime's own.
	var extraEnv []string
	extra := o.PreserveFDs
	if n := listenFDs(); n > 0 {
		extraEnv = []string{"LISTEN_FDS=" + strconv.Itoa(n), "LISTEN_PID=1"}
		extra += n
	}
	cfg := initConfig{Config: raw, ExtraEnv: extraEnv, Rootfs: c.State.Rootfs, Bundle: bundle, NoPivot: o.NoPivot,
		NewKeyring: !o.NoNewKeyring, FifoFd: -1, ConsoleFd: -1, ExtraFds: extra}
	if l, err = newLaunch(extra); err != nil {
		return nil, err
	}
	l.stdio = o.Stdio
	if !o.Start {
		fifo := filepath.Join(c.Dir, fifoName)
		if err := unix.Mkfifo(fifo, 0o622); err != nil {
			return nil, fmt.Errorf("make exec fifo: %w", err)
		}
		// The init reopens it for writing as the container's root, which
		// in a user namespace is not the host's: it must own the fifo.
		if err := chownToContainerRoot(fifo, spec.Linux); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(fifo, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open exec fifo: %w", err)
		}
		cfg.FifoFd = l.own(f)
	}
	if spec.Process.Terminal {
		if cfg.ConsoleFd, err = l.console(o.Console, o.ConsoleSocket); err != nil {
			return nil, err
		}
	}
	if f := idmappedRootfs(spec, c.State.Rootfs); f != nil { // idmap.go
		cfg.RootfsFd = l.own(f)
	}
	idmapped, err := idmappedMounts(spec, bundle) // idmap.go
	if err != nil {
		return nil, err
	}
	for i, f := range idmapped {
		if cfg.MountFds == nil {
			cfg.MountFds = map[int]int{}
		}
		cfg.MountFds[i] = l.own(f)
	}
	if err := l.agent(spec); err != nil {
		return nil, err
	}
	// The init is born in its cgroup (see cgroups.Entry), or, in the common
	// case (joinsCgroupLate), moves its main thread in first thing while
	// the v1 cgroups are made and the limits set as its runtime starts up.
	mgr, err := r.cgroup(c)
	if err != nil {
		return nil, err
	}
	var lateTasks []string
	late := joinsCgroupLate(spec)
	if mgr != nil { // nil: rootless without a cgroup (rootless.go)
		if err := recordCgroup(c.Dir, c.State.CgroupParent, mgr.Path()); err != nil {
			return nil, err
		}
		undo = append(undo, func() { mgr.Destroy() })
		var entry *cgroups.Entry
		if late {
			if entry, err = mgr.LateEntry(); err != nil {
				return nil, fmt.Errorf("cgroup apply: %w", err)
			}
			lateTasks = entry.TaskPaths
		} else {
			if err := mgr.Apply(0); err != nil {
				return nil, fmt.Errorf("cgroup apply: %w", err)
			}
			if entry, err = mgr.Entry(); err != nil {
				return nil, err
			}
		}
		l.cgroup(entry)
		c.State.Cgroup = mgr.Path()
		// The init is not handed c.layout's mounts for the container's
		// /sys/fs/cgroup: with them, a run -d right after another
		// container's create/start/delete failed a third of the time
		// ("read sync: connection reset by peer" although the user
		// program ran: the init's socket closed at execve with bytes
		// unread; TestCgroupsUpdate after TestRuntimeLifecycle). Not
		// understood yet; the init finds them itself (statmount, cheap).
	}

	// One P: the init's runtime starts fewer threads, and makes none once
	// it waits in a syscall with nothing else to run, so a tight pids.max
	// set while it runs cannot make it fail to start a thread.
	l.env = append(l.env, "GOMAXPROCS=1")
	header, forkPid := newNamespaces(spec, &l.attr)
	useC := cinitCovers(spec, false)
	if useC {
		l.env = append(l.env, nsexec.CInitEnv+"="+strconv.Itoa(l.syncFd))
	}
	pid, conn, err := l.start("container init", header, forkPid)
	if err != nil {
		return nil, err
	}
	undo = append(undo, func() { reap(pid) })
	var plan, parts [][]byte // the C init's (cinit.go), nil: the Go init
	var probe func(id string, tasks []string) ([][]byte, error)
	// The C init's last part (from its devices on) waits for the limits;
	// with hooks the init reads their "ok" between parts, and a systemd
	// unit takes the init only at Register: those keep two parts.
	h := hooksOf(spec)
	limitsLate := useC && late && mgr != nil && !r.SystemdCgroup && len(h.Prestart)+len(h.CreateRuntime) == 0
	if useC {
		// Planned while the init execs (the seccomp program takes ~0.7 ms
		// to compile); the first part needs no cgroup: the init works on
		// it while we make them.
		cfg.CgroupTasks, cfg.CgroupMounts = lateTasks, c.State.CgroupMounts
		sc := o.seccomp.of(spec.Linux.Seccomp)
		if sc == nil && spec.Linux.Seccomp != nil && o.RunPlan {
			// Compiled once for the plan and the run plan's probe.
			if sc, err = seccomp.Compile(spec.Linux.Seccomp); err != nil {
				return nil, err
			}
		}
		if plan, err = cinitPlan(spec, &cfg, o.ID, sc, limitsLate); err != nil {
			return nil, err
		}
		probe = func(id string, tasks []string) ([][]byte, error) {
			pc := cfg
			pc.CgroupTasks = tasks
			return cinitPlan(spec, &pc, id, sc, limitsLate)
		}
		limitsLate = len(plan) == 3 // not when the devices come before the join
		parts = plan
		if _, err := conn.f.Write(plan[0]); err != nil {
			return nil, fmt.Errorf("configure container init: %w", err)
		}
		plan = plan[1:]
	}
	// sendPlan sends the next n parts of the plan.
	sendPlan := func(n int) error {
		for _, part := range plan[:n] {
			if _, err := conn.f.Write(part); err != nil {
				if _, rerr := conn.recv(); rerr != nil && rerr != io.EOF {
					return rerr // the init failed: its reason
				}
				return fmt.Errorf("configure container init: %w", err)
			}
		}
		plan = plan[n:]
		return nil
	}
	if mgr != nil && late {
		if err := mgr.Apply(0); err != nil {
			return nil, fmt.Errorf("cgroup apply: %w", err)
		}
		cfg.CgroupTasks = lateTasks
	}
	if limitsLate {
		// The cgroups are there: the init joins them and goes on to
		// pivot_root while the limits are set.
		if err := sendPlan(1); err != nil {
			return nil, err
		}
	}
	c.State.Pid = pid
	if _, c.State.StartTime, err = procStat(pid); err != nil {
		return nil, fmt.Errorf("container init: %w", err)
	}
	c.State.Created = time.Now().UTC()
	cfg.State = specs.State{Version: specs.Version, ID: o.ID, Status: specs.StateCreating,
		Pid: pid, Bundle: bundle, Annotations: spec.Annotations}
	// The limits are checked and set while the init's runtime starts up
	// (or, with the C init, while it mounts): before the user program can
	// start, so a bad limit fails create before it has begun. The init
	// was born in its cgroup (or joins it first thing), so "cgroup"
	// follows its config at once.
	if mgr != nil {
		if err := setCgroup(mgr, spec); err != nil {
			return nil, err
		}
		if err := mgr.Register(pid); err != nil {
			return nil, err
		}
	}
	if useC {
		// The rest of the plan means "cgroup" (two parts) or "limits
		// set" (limitsLate).
		if err := sendPlan(len(plan)); err != nil {
			return nil, err
		}
	} else {
		if err := conn.write(cfg.marshal()); err != nil {
			return nil, fmt.Errorf("configure container init: %w", err)
		}
		conn.send(message{Type: msgCgroup})
	}
	// The state is written while the init works; nobody reads it before
	// create returns (the lock is held; list may show the container a
	// little early), and a failure below removes it with the directory.
	if err := c.save(); err != nil {
		return nil, err
	}
	writeDeletePlan(c, mgr) // deleteplan.go
	for {
		m, err := conn.recv()
		if err != nil {
			if err == io.EOF {
				err = fmt.Errorf("container init exited during create")
			}
			return nil, err
		}
		if m.Type == msgReady {
			break
		}
		if m.Type != msgHooks {
			return nil, fmt.Errorf("container init sent %q", m.Type)
		}
		// The container is created by now as far as the hooks can tell:
		// runc hands them status "created".
		st := cfg.State
		st.Status = specs.StateCreated
		if err := runHooks("prestart", h.Prestart, st); err != nil {
			return nil, err
		}
		if err := runHooks("createRuntime", h.CreateRuntime, st); err != nil {
			return nil, err
		}
		if err := conn.send(message{Type: msgOK}); err != nil {
			return nil, err
		}
	}
	if err := writePidFile(o.PidFile, pid); err != nil {
		return nil, err
	}
	if o.Start {
		// The socket closes on execve: EOF is success, a message is a
		// failure. Returning only then means a signal sent after run -d
		// reaches the user program, not the init.
		if err := conn.closed("container init"); err != nil {
			return nil, err
		}
	}
	if o.RunPlan {
		r.writeRunPlan(&runPlanInput{o: &o, c: c, mgr: mgr, parts: parts, limitsLate: limitsLate,
			cloneflags: l.attr.Cloneflags, nsexec: header != nil, probe: probe})
	}
	return &Created{Container: c, Pid: pid}, nil
}

// newNamespaces sets the clone flags (and id maps) of the namespaces that
// clone makes, and returns the C stage's header for those it joins or
// makes itself, nil if none, and whether it forks to enter a pid
// namespace.
func newNamespaces(spec *specs.Spec, attr *syscall.SysProcAttr) (header []byte, forkPid bool) {
	// An unprivileged caller may only write gid_map after setgroups is denied.
	attr.GidMappingsEnableSetgroups = os.Geteuid() == 0
	var joins []nsexec.Join
	newTime := false
	// In a user namespace joined by path, the new namespaces are made by
	// the C stage after it joined, so that they are owned by it: made by
	// clone they would belong to the host's and the container's root
	// could not use them.
	userNS, _ := nsOf(spec, specs.UserNamespace)
	for _, t := range joinOrder {
		ns, ok := nsOf(spec, t)
		switch {
		case !ok:
		case ns.Path != "":
			joins = append(joins, nsexec.Join{Type: string(t), Path: ns.Path})
			forkPid = forkPid || t == specs.PIDNamespace
		case t == specs.TimeNamespace:
			newTime = true
		case t == specs.CgroupNamespace:
			// Made by the init once it is in its cgroup, so that cgroup is
			// the namespace's root.
		case userNS.Path != "":
			joins = append(joins, nsexec.Join{Type: string(t)})
			forkPid = forkPid || t == specs.PIDNamespace
		default:
			attr.Cloneflags |= cloneFlag[t]
		}
	}
	if attr.Cloneflags&unix.CLONE_NEWUSER != 0 {
		attr.UidMappings = idMaps(spec.Linux.UIDMappings)
		attr.GidMappings = idMaps(spec.Linux.GIDMappings)
		// The child keeps the host's root ids until it sets them again
		// inside the namespace; only then is it root there.
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
	}
	if len(joins) == 0 && !newTime {
		return nil, false
	}
	var offsets map[string][2]int64
	if newTime {
		offsets = map[string][2]int64{"monotonic": {0, 0}}
		for clock, o := range spec.Linux.TimeOffsets {
			offsets[clock] = [2]int64{o.Secs, int64(o.Nanosecs)}
		}
	}
	return nsexec.Header(joins, offsets, forkPid), forkPid
}

// joinsCgroupLate says whether the init can move itself into its v1
// cgroups once running: it opens the tasks files by their host paths, so
// its mount namespace must be a new copy of ours and its user namespace
// ours (the permission check is the opener's). Otherwise it is born in
// them, through files the parent opened, and the cgroups are made first.
func joinsCgroupLate(spec *specs.Spec) bool {
	_, userNS := nsOf(spec, specs.UserNamespace)
	mnt, _ := nsOf(spec, specs.MountNamespace)
	return !userNS && mnt.Path == ""
}

// setCgroup sets the limits of the container's cgroup.
func setCgroup(mgr cgroups.Manager, spec *specs.Spec) error {
	if r := spec.Linux.Resources; r != nil {
		res := *r
		res.Devices = allowedDevices(spec)
		if err := mgr.Set(&res); err != nil {
			return fmt.Errorf("cgroup set: %w", err)
		}
	}
	return nil
}

func idMaps(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, x := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(x.ContainerID), HostID: int(x.HostID), Size: int(x.Size)}
	}
	return out
}

// listenFDs is the number of socket-activation fds passed to us (LISTEN_FDS
// meant for this process), which the container inherits like runc's.
func listenFDs() int {
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n <= 0 {
		return 0
	}
	if p := os.Getenv("LISTEN_PID"); p != "" && p != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return n
}

// reap kills a child that will not become a container and collects it.
func reap(pid int) {
	unix.Kill(pid, unix.SIGKILL)
	var ws unix.WaitStatus
	unix.Wait4(pid, &ws, 0, nil)
}

func writePidFile(path string, pid int) error {
	if path == "" {
		return nil
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

func devRule(typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: &major, Minor: &minor, Access: access}
}

// allowedDevices is the spec's device cgroup rules followed by what every
// container needs, as runc adds them: mknod of anything (the cgroup still
// guards use), the default devices and the pty devices. A needed rule the
// spec already grants, with no deny after it, is not added again: the
// engine's specs carry them all (11 writes to devices.allow less).
func allowedDevices(spec *specs.Spec) []specs.LinuxDeviceCgroup {
	if spec.Linux.Resources == nil || len(spec.Linux.Resources.Devices) == 0 {
		return nil
	}
	rules := spec.Linux.Resources.Devices
	out := append([]specs.LinuxDeviceCgroup{}, rules...)
	need := []specs.LinuxDeviceCgroup{devRule("c", -1, -1, "m"), devRule("b", -1, -1, "m")}
	for _, d := range rootfs.DefaultDevices {
		need = append(need, devRule("c", d.Major, d.Minor, "rwm"))
	}
	// linux.devices are made, not allowed: as with runc, their use is
	// what linux.resources.devices grants (docker's --device HOST:r).
	need = append(need, devRule("c", 5, 1, "rwm"), devRule("c", 5, 2, "rwm"), devRule("c", 136, -1, "rwm"))
	for _, r := range need {
		if !grantedLast(rules, r) {
			out = append(out, r)
		}
	}
	return out
}

// grantedLast says whether rules allow exactly r with no deny after it.
func grantedLast(rules []specs.LinuxDeviceCgroup, r specs.LinuxDeviceCgroup) bool {
	for i := len(rules) - 1; i >= 0; i-- {
		x := rules[i]
		if !x.Allow {
			return false
		}
		if devKey(x) == devKey(r) {
			return true
		}
	}
	return false
}

func devKey(d specs.LinuxDeviceCgroup) [4]string {
	num := func(p *int64) string {
		if p == nil || *p < 0 {
			return "*"
		}
		return strconv.FormatInt(*p, 10)
	}
	t := d.Type
	if t == "" {
		t = "a"
	}
	return [4]string{t, num(d.Major), num(d.Minor), d.Access}
}
