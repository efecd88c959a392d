package runtime

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/nsexec"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// CreateOpts are create's (and run's) flags.
type CreateOpts struct {
	ID, Bundle, PidFile string
	ConsoleSocket       string   // path of the receiver of the pty master
	Console             *os.File // or an already connected socket (run's own relay)
	NoPivot             bool
	NoNewKeyring        bool
	PreserveFDs         int
	// Start makes the init go straight on to execve (run): no exec.fifo.
	Start bool
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
	spec, err := LoadSpec(bundle)
	if err != nil {
		return nil, err
	}
	if spec.Process.Terminal && o.ConsoleSocket == "" && o.Console == nil {
		return nil, fmt.Errorf("cannot allocate tty if jinn-runtime will detach without setting console socket")
	}
	if !spec.Process.Terminal && o.ConsoleSocket != "" {
		return nil, fmt.Errorf("cannot use console socket if jinn-runtime will not detach or allocate tty")
	}
	c, err := r.newContainer(o.ID)
	if err != nil {
		return nil, err
	}
	c.State = State{ID: o.ID, Bundle: bundle, Rootfs: rootfsPath(spec, bundle), Spec: spec}
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
			os.RemoveAll(c.Dir)
			c.Close()
		}
	}()

	// Files the child inherits: preserved fds first, at the numbers the
	// container will see, then the runtime's own.
	var files []*os.File
	extra := o.PreserveFDs
	if n := listenFDs(); n > 0 {
		spec.Process.Env = append(spec.Process.Env, "LISTEN_FDS="+strconv.Itoa(n), "LISTEN_PID=1")
		extra += n
	}
	for i := 0; i < extra; i++ {
		files = append(files, os.NewFile(uintptr(3+i), "preserved"))
	}
	cfg := initConfig{Spec: spec, Rootfs: c.State.Rootfs, Bundle: bundle, NoPivot: o.NoPivot,
		NewKeyring: !o.NoNewKeyring, FifoFd: -1, ConsoleFd: -1, ExtraFds: extra}
	parent, child, err := socketpair()
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	defer child.Close()
	syncFd := 3 + len(files)
	files = append(files, child)
	if !o.Start {
		fifo := filepath.Join(c.Dir, fifoName)
		if err := unix.Mkfifo(fifo, 0o622); err != nil {
			return nil, fmt.Errorf("make exec fifo: %w", err)
		}
		f, err := os.OpenFile(fifo, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open exec fifo: %w", err)
		}
		defer f.Close()
		cfg.FifoFd = 3 + len(files)
		files = append(files, f)
	}
	if spec.Process.Terminal {
		cons := o.Console
		if cons == nil {
			if cons, err = dialUnix(o.ConsoleSocket); err != nil {
				return nil, err
			}
			defer cons.Close()
		}
		cfg.ConsoleFd = 3 + len(files)
		files = append(files, cons)
	}

	attr := &syscall.SysProcAttr{GidMappingsEnableSetgroups: true}
	var joins []nsexec.Join
	newTime, forkPid := false, false
	for _, t := range joinOrder {
		ns, ok := nsOf(spec, t)
		switch {
		case !ok:
		case ns.Path != "":
			joins = append(joins, nsexec.Join{Type: string(t), Path: ns.Path})
			forkPid = forkPid || t == specs.PIDNamespace
		case t == specs.TimeNamespace:
			newTime = true
		default:
			attr.Cloneflags |= cloneFlag[t]
		}
	}
	if attr.Cloneflags&unix.CLONE_NEWUSER != 0 {
		attr.UidMappings = idMaps(spec.Linux.UIDMappings)
		attr.GidMappings = idMaps(spec.Linux.GIDMappings)
	}
	env := []string{"_JINN_INIT=" + strconv.Itoa(syncFd)}
	var header []byte
	if len(joins) > 0 || newTime {
		offsets := map[string][2]int64{"monotonic": {0, 0}}
		for clock, o := range spec.Linux.TimeOffsets {
			offsets[clock] = [2]int64{o.Secs, int64(o.Nanosecs)}
		}
		if !newTime {
			offsets = nil
		}
		header = nsexec.Header(joins, offsets, forkPid)
		env = append(env, nsexec.Env+"="+strconv.Itoa(syncFd))
	}
	cmd := &exec.Cmd{
		Path: "/proc/self/exe", Args: []string{"jinn-runtime", "init"}, Env: env,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		ExtraFiles: files, SysProcAttr: attr,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start container init: %w", err)
	}
	child.Close()
	pid := cmd.Process.Pid
	undo = append(undo, func() { reap(cmd, pid) })
	conn := newConn(parent)
	if header != nil {
		if _, err := parent.Write(header); err != nil {
			return nil, fmt.Errorf("write nsexec header: %w", err)
		}
		if forkPid {
			m, err := conn.expect("pid")
			if err != nil {
				return nil, err
			}
			cmd.Wait()
			pid = m.Pid
			undo = append(undo, func() { reap(nil, pid) })
		}
	}
	mgr, err := r.cgroup(&c.State)
	if err != nil {
		return nil, err
	}
	if mgr != nil {
		undo = append(undo, func() { mgr.Destroy() })
		if err := applyCgroup(mgr, pid, spec); err != nil {
			return nil, err
		}
		c.State.Cgroup = mgr.Path()
	}
	c.State.Pid = pid
	if _, c.State.StartTime, err = procStat(pid); err != nil {
		return nil, fmt.Errorf("container init: %w", err)
	}
	c.State.Created = time.Now().UTC()
	cfg.State = specs.State{Version: specs.Version, ID: o.ID, Status: specs.StateCreating,
		Pid: pid, Bundle: bundle, Annotations: spec.Annotations}
	if err := conn.send(cfg); err != nil {
		return nil, fmt.Errorf("configure container init: %w", err)
	}
	for {
		m, err := conn.recv()
		if err != nil {
			if err.Error() == "EOF" {
				err = fmt.Errorf("container init exited during create")
			}
			return nil, err
		}
		if m.Type == "ready" {
			break
		}
		if m.Type != "hooks" {
			return nil, fmt.Errorf("container init sent %q", m.Type)
		}
		h := hooksOf(spec)
		if err := runHooks("prestart", h.Prestart, cfg.State); err != nil {
			return nil, err
		}
		if err := runHooks("createRuntime", h.CreateRuntime, cfg.State); err != nil {
			return nil, err
		}
		if err := conn.send(message{Type: "ok"}); err != nil {
			return nil, err
		}
	}
	if err := c.save(); err != nil {
		return nil, err
	}
	if err := writePidFile(o.PidFile, pid); err != nil {
		return nil, err
	}
	return &Created{Container: c, Pid: pid}, nil
}

func applyCgroup(mgr cgroups.Manager, pid int, spec *specs.Spec) error {
	if err := mgr.Apply(pid); err != nil {
		return fmt.Errorf("cgroup apply: %w", err)
	}
	if spec.Linux.Resources != nil {
		if err := mgr.Set(spec.Linux.Resources); err != nil {
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

func socketpair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "sync"), os.NewFile(uintptr(fds[1]), "sync-child"), nil
}

func dialUnix(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("connect to console socket %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// reap kills a child that will not become a container and collects it.
func reap(cmd *exec.Cmd, pid int) {
	unix.Kill(pid, unix.SIGKILL)
	if cmd != nil {
		cmd.Wait()
		return
	}
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
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path))
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	return os.Rename(tmp, path)
}
