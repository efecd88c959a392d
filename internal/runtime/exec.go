package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/jinn-containers/jinn/internal/nsexec"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ExecOpts are exec's flags; Process is complete (process.json, or the
// container's process with the command line's changes).
type ExecOpts struct {
	ID            string
	Process       *specs.Process
	ConsoleSocket string
	Console       *os.File
	PidFile       string
	PreserveFDs   int
}

// Spec returns a container's config, for exec to build its process from.
func (r *Runtime) Spec(id string) (*specs.Spec, error) {
	c, err := r.Load(id)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.State.Spec, nil
}

// Exec starts a process in all of a running container's namespaces and its
// cgroup and returns its pid (a child of the caller).
func (r *Runtime) Exec(o ExecOpts) (int, error) {
	c, err := r.Load(o.ID)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if st := c.Status(); st == specs.StateStopped {
		return 0, errors.New("cannot exec in a stopped container")
	}
	p := o.Process
	if p == nil || len(p.Args) == 0 {
		return 0, errors.New("exec: process args must not be empty")
	}
	if p.Terminal && o.ConsoleSocket == "" && o.Console == nil {
		return 0, errors.New("cannot allocate tty if jinn-runtime will detach without setting console socket")
	}
	if err := validateProcessConfinement(p); err != nil {
		return 0, err
	}
	r.warnLSM(p)
	spec := *c.State.Spec
	spec.Process = p
	var joins []nsexec.Join
	for _, t := range joinOrder {
		if _, ok := nsOf(&spec, t); ok {
			joins = append(joins, nsexec.Join{Type: string(t),
				Path: "/proc/" + strconv.Itoa(c.State.Pid) + "/ns/" + nsProcName[t]})
		}
	}
	var files []*os.File
	for i := 0; i < o.PreserveFDs; i++ {
		files = append(files, os.NewFile(uintptr(3+i), "preserved"))
	}
	parent, child, err := socketpair()
	if err != nil {
		return 0, err
	}
	defer parent.Close()
	defer child.Close()
	praw, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	cfg := initConfig{Config: c.State.Config, Process: praw, Exec: true, FifoFd: -1, ConsoleFd: -1, ExtraFds: o.PreserveFDs}
	if _, ok := nsOf(c.State.Spec, specs.MountNamespace); !ok {
		// No mount namespace to join: the exec enters the root as the
		// init did, by chroot (rootfs.Pivot).
		cfg.Rootfs = c.State.Rootfs
	}
	syncFd := 3 + len(files)
	files = append(files, child)
	if p.Terminal {
		cons := o.Console
		if cons == nil {
			if cons, err = dialUnix(o.ConsoleSocket); err != nil {
				return 0, err
			}
			defer cons.Close()
		}
		cfg.ConsoleFd = 3 + len(files)
		files = append(files, cons)
	}
	fd := strconv.Itoa(syncFd)
	initEnv := []string{InitEnv + "=" + fd, nsexec.Env + "=" + fd}
	agent, err := dialAgent(&spec) // notify.go
	if err != nil {
		return 0, err
	}
	if agent != nil {
		defer agent.Close()
		initEnv = append(initEnv, agentEnvVar(3+len(files)))
		files = append(files, agent)
	}
	// The process is born in the container's cgroup (see cgroups.Entry):
	// the C stage writes "0" to the v1 tasks files before it joins the
	// namespaces and forks, and clone3 starts it in the cgroup2 one.
	mgr, err := r.cgroup(c)
	if err != nil {
		return 0, err
	}
	var sys *syscall.SysProcAttr
	if mgr != nil {
		entry, err := mgr.Entry()
		if err != nil {
			return 0, fmt.Errorf("join cgroup: %w", err)
		}
		defer entry.Close()
		var fds []string
		for _, f := range entry.Tasks {
			fds = append(fds, strconv.Itoa(3+len(files)))
			files = append(files, f)
		}
		if len(fds) > 0 {
			initEnv = append(initEnv, nsexec.CgroupEnv+"="+strings.Join(fds, ","))
		}
		if entry.Dir != nil {
			sys = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(entry.Dir.Fd())}
		}
	}
	childFds := []uintptr{os.Stdin.Fd(), os.Stdout.Fd(), os.Stderr.Fd()}
	for _, f := range files {
		childFds = append(childFds, f.Fd())
	}
	exe, closeExe, err := sealedExe(childFds) // CVE-2019-5736: see selfexe.go
	if err != nil {
		return 0, err
	}
	defer closeExe()
	cmd := &exec.Cmd{
		Path: exe, Args: []string{"jinn-runtime", "init"},
		Env:   append(initEnv, oomEnv()...),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, ExtraFiles: files, SysProcAttr: sys,
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start exec process: %w", err)
	}
	child.Close()
	conn := newConn(parent)
	if _, err := parent.Write(nsexec.Header(joins, nil, true)); err != nil {
		reap(cmd.Process.Pid)
		cmd.Wait()
		return 0, err
	}
	m, err := conn.expect(msgPid)
	cmd.Wait()
	if err != nil {
		return 0, err
	}
	pid := m.Pid
	fail := func(err error) (int, error) {
		reap(pid)
		return 0, err
	}
	if err := conn.write(cfg.marshal()); err != nil {
		return fail(err)
	}
	if _, err := conn.expect(msgReady); err != nil {
		return fail(err)
	}
	// The socket closes on execve: EOF is success, a message is a failure.
	if _, err := conn.recv(); err != io.EOF {
		if err == nil {
			err = errors.New("exec process sent an unexpected message")
		}
		return fail(err)
	}
	if err := writePidFile(o.PidFile, pid); err != nil {
		return pid, err
	}
	return pid, nil
}

// Pids lists the processes of a container: its cgroup, or without a
// cgroup driver the processes in its pid namespace.
func (r *Runtime) Pids(id string) ([]int, error) {
	c, err := r.Load(id)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if c.Status() == specs.StateStopped {
		return nil, ErrNotRunning
	}
	mgr, err := r.cgroup(c)
	if err != nil {
		return nil, err
	}
	if mgr != nil {
		return mgr.Pids()
	}
	return pidsInNamespace(c.State.Pid)
}

func pidsInNamespace(init int) ([]int, error) {
	want, err := os.Readlink("/proc/" + strconv.Itoa(init) + "/ns/pid")
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ns, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && ns == want {
			out = append(out, pid)
		}
	}
	return out, nil
}
