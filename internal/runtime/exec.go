package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/jinn-containers/jinn/internal/nsexec"
	"github.com/jinn-containers/jinn/internal/seccomp"
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
	Stdio         []*os.File // as CreateOpts.Stdio
}

// Spec returns a container's config, for exec to build its process from.
func (r *Runtime) Spec(id string) (*specs.Spec, error) {
	c, err := r.Load(id)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.FullSpec()
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
	full, err := c.FullSpec()
	if err != nil {
		return 0, err
	}
	spec := *full
	spec.Process = p
	var joins []nsexec.Join
	for _, t := range joinOrder {
		if _, ok := nsOf(&spec, t); ok {
			joins = append(joins, nsexec.Join{Type: string(t),
				Path: "/proc/" + strconv.Itoa(c.State.Pid) + "/ns/" + nsProcName[t]})
		}
	}
	l, err := newLaunch(o.PreserveFDs)
	if err != nil {
		return 0, err
	}
	defer l.close()
	l.stdio = o.Stdio
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
	if p.Terminal {
		if cfg.ConsoleFd, err = l.console(o.Console, o.ConsoleSocket); err != nil {
			return 0, err
		}
	}
	if err := l.agent(&spec); err != nil {
		return 0, err
	}
	// The process enters the container's cgroups before it runs anything
	// of the user's (launch.cgroupLate).
	mgr, err := r.cgroup(c)
	if err != nil {
		return 0, err
	}
	if mgr != nil {
		entry, err := mgr.Entry()
		if err != nil {
			return 0, fmt.Errorf("join cgroup: %w", err)
		}
		cfg.CgroupTasks = l.cgroupLate(entry)
	}
	header := nsexec.Header(joins, nil, true)
	var plan [][]byte // the C init's (cinit.go), nil: the Go init
	if cinitCovers(&spec, true) {
		var sc *seccomp.Program
		if p := spec.Linux.Seccomp; p != nil {
			if sc, err = compileSeccomp(p, r.SeccompCache()); err != nil {
				return 0, err
			}
		}
		if plan, err = cinitExecPlan(&spec, &cfg, sc); err != nil {
			return 0, err
		}
		l.env = append(l.env, nsexec.CInitEnv+"="+strconv.Itoa(l.syncFd))
	}
	pid, conn, err := l.start("exec process", header, true)
	if err != nil {
		return 0, err
	}
	fail := func(err error) (int, error) {
		reap(pid)
		return 0, err
	}
	if plan != nil {
		for _, part := range plan {
			if _, err := conn.f.Write(part); err != nil {
				return fail(fmt.Errorf("configure exec process: %w", err))
			}
		}
	} else if err := conn.write(cfg.marshal()); err != nil {
		return fail(err)
	}
	if _, err := conn.expect(msgReady); err != nil {
		return fail(err)
	}
	// The socket closes on execve: EOF is success, a message is a failure.
	if err := conn.closed("exec process"); err != nil {
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
