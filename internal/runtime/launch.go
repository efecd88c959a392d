package runtime

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/nsexec"
)

// launch is what create and exec share in starting `jinn-runtime init`:
// the files it inherits, numbered from 3 in the order they are added
// (preserved fds first, at the numbers the container will see), its
// environment and clone attributes, the sync socket, and the fork.
type launch struct {
	files  []*os.File // the child's fds from 3 on
	owned  []*os.File // ours to close once the child has its copies
	env    []string
	attr   syscall.SysProcAttr
	parent *os.File // our end of the sync socket
	syncFd int
	stdio  []*os.File // the child's 0, 1, 2 if not ours (CreateOpts.Stdio)
}

// newLaunch passes the caller's fds 3..3+preserved-1 through at their
// numbers, then the child's end of a new sync socket.
func newLaunch(preserved int) (*launch, error) {
	l := &launch{}
	for i := 0; i < preserved; i++ {
		l.files = append(l.files, os.NewFile(uintptr(3+i), "preserved"))
	}
	parent, child, err := socketpair()
	if err != nil {
		return nil, err
	}
	l.parent = parent
	l.syncFd = l.own(child)
	l.env = append([]string{InitEnv + "=" + strconv.Itoa(l.syncFd)}, oomEnv()...)
	return l, nil
}

// pass gives the child f and returns its number there.
func (l *launch) pass(f *os.File) int {
	l.files = append(l.files, f)
	return 2 + len(l.files)
}

// own is pass for a file of ours, closed once the child has its copy.
func (l *launch) own(f *os.File) int {
	l.owned = append(l.owned, f)
	return l.pass(f)
}

// console passes the receiver of the pty master: the caller's connected
// socket, or a connection to the --console-socket path.
func (l *launch) console(conn *os.File, path string) (int, error) {
	if conn != nil {
		return l.pass(conn), nil
	}
	conn, err := dialUnix(path)
	if err != nil {
		return 0, err
	}
	return l.own(conn), nil
}

// agent passes a connection to the spec's seccomp notify agent, if any
// (notify.go).
func (l *launch) agent(spec *specs.Spec) error {
	f, err := dialAgent(spec)
	if err != nil || f == nil {
		return err
	}
	l.env = append(l.env, agentEnvVar(l.own(f)))
	return nil
}

// cgroup makes the child born in its cgroup (see cgroups.Entry): the C
// stage writes "0" to the v1 tasks files passed to it before anything
// else, and clone3 starts the child in the cgroup2 directory.
func (l *launch) cgroup(e *cgroups.Entry) {
	var fds []string
	for _, f := range e.Tasks {
		fds = append(fds, strconv.Itoa(l.own(f)))
	}
	if len(fds) > 0 {
		l.env = append(l.env, nsexec.CgroupEnv+"="+strings.Join(fds, ","))
	}
	l.cgroup2(e)
}

// cgroupLate passes the v1 tasks files for the init's main thread to write
// "0" to once its runtime runs (joinCgroup), and returns them as the init
// config's CgroupTasks. The runtime's other threads, started before, stay
// outside and die with execve: a container at its pids limit still gets
// an exec, as with runc (whose runtime is moved in whole, and a move is
// not held to pids.max). The cgroup2 directory is entered at birth.
func (l *launch) cgroupLate(e *cgroups.Entry) []string {
	var tasks []string
	for _, f := range e.Tasks {
		tasks = append(tasks, taskFdPrefix+strconv.Itoa(l.own(f)))
	}
	l.cgroup2(e)
	return tasks
}

func (l *launch) cgroup2(e *cgroups.Entry) {
	if e.Dir != nil {
		l.owned = append(l.owned, e.Dir)
		l.attr.UseCgroupFD, l.attr.CgroupFD = true, int(e.Dir.Fd())
	}
}

// close closes our files, the sync socket included.
func (l *launch) close() {
	l.closeOwned()
	l.parent.Close()
}

func (l *launch) closeOwned() {
	for _, f := range l.owned {
		f.Close()
	}
	l.owned = nil
}

// start forks and execs `jinn-runtime init` (as what, for errors) and
// returns its pid and the sync connection. A header is for the C stage
// (nsexec.go); with forkPid the C stage forks once more and exits, and the
// pid returned is its child's, a child of ours too (CLONE_PARENT). On
// failure nothing it started is left.
func (l *launch) start(what string, header []byte, forkPid bool) (int, *conn, error) {
	if header != nil {
		l.env = append(l.env, nsexec.Env+"="+strconv.Itoa(l.syncFd))
	}
	fds := []uintptr{os.Stdin.Fd(), os.Stdout.Fd(), os.Stderr.Fd()}
	if l.stdio != nil {
		null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
		if err != nil {
			return 0, nil, err
		}
		defer null.Close()
		for i := range fds {
			fds[i] = null.Fd()
			if i < len(l.stdio) && l.stdio[i] != nil {
				fds[i] = l.stdio[i].Fd()
			}
		}
	}
	for _, f := range l.files {
		fds = append(fds, f.Fd())
	}
	exe, closeExe, err := sealedExe(fds) // CVE-2019-5736: see selfexe.go
	if err != nil {
		return 0, nil, err
	}
	defer closeExe()
	// syscall.ForkExec, not os/exec: no pidfd probe, no goroutines.
	pid, err := syscall.ForkExec(exe, []string{"jinn-runtime", "init"},
		&syscall.ProcAttr{Env: l.env, Files: fds, Sys: &l.attr})
	if err != nil {
		return 0, nil, fmt.Errorf("start %s: %w", what, err)
	}
	l.closeOwned()
	c := newConn(l.parent)
	if header == nil {
		return pid, c, nil
	}
	if _, err := l.parent.Write(header); err != nil {
		reap(pid)
		return 0, nil, fmt.Errorf("write nsexec header: %w", err)
	}
	if !forkPid {
		return pid, c, nil
	}
	m, err := c.expect(msgPid)
	reap(pid) // the C stage's middle process, exited (or failed)
	if err != nil {
		return 0, nil, err
	}
	return m.Pid, c, nil
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
