package runtime

import (
	"errors"
	"fmt"
	"github.com/jinn-containers/jinn/internal/rootfs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Start releases a created container's init to execve the user program
// and returns once it has: a signal sent after start reaches the program.
func (r *Runtime) Start(id string) error {
	c, err := r.Load(id)
	if err != nil {
		return err
	}
	defer c.Close()
	switch c.Status() {
	case specs.StateStopped:
		return errors.New("cannot start a container that has stopped")
	case specs.StateRunning:
		return errors.New("cannot start an already running container")
	case StatePaused:
		// A frozen init would never take the fifo: start would hang.
		return errors.New("cannot start a paused container")
	}
	if err := release(c); err != nil {
		return err
	}
	r.poststart(c)
	return nil
}

// release opens exec.fifo for reading, which lets the init's open for
// writing return, and waits for its byte and then for EOF: the init's end
// is close-on-exec, so EOF means it has execed the user program (or died).
// Anything after the byte is the init's error.
func release(c *Container) error {
	// The pidfd first: once the fifo is open the init may exec a program
	// that exits and is reaped at once.
	pidfd, err := unix.PidfdOpen(c.State.Pid, 0)
	if err != nil {
		return errors.New("container init exited before start")
	}
	defer unix.Close(pidfd)
	fifo := filepath.Join(c.Dir, fifoName)
	fd, err := unix.Open(fifo, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	defer unix.Close(fd)
	// Gone at once: from here the container counts as started, whatever
	// happens to this process (the init reaches its fifo by its own fd).
	if err := os.Remove(fifo); err != nil {
		return fmt.Errorf("remove exec fifo: %w", err)
	}
	var msg []byte
	got := false
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
	buf := make([]byte, 512)
	for {
		if _, err := unix.Poll(fds, -1); err != nil && err != unix.EINTR {
			return fmt.Errorf("wait for container init: %w", err)
		}
		if fds[0].Revents&(unix.POLLIN|unix.POLLHUP) != 0 {
			n, err := unix.Read(fd, buf)
			if n > 0 {
				if !got {
					got, n, buf = true, n-1, buf[1:]
				}
				msg = append(msg, buf[:n]...)
				continue
			}
			if n == 0 && got {
				break // EOF after the byte: execve closed the writer
			}
			if err != nil && err != unix.EAGAIN && err != unix.EINTR {
				return fmt.Errorf("read exec fifo: %w", err)
			}
		}
		if fds[1].Revents != 0 && !got {
			return errors.New("container init exited before start")
		}
		if fds[1].Revents != 0 && fds[0].Revents == 0 {
			break // dead, and nothing more to read
		}
	}
	if len(msg) > 0 {
		return fmt.Errorf("container init: %s", msg)
	}
	return nil
}

func (r *Runtime) poststart(c *Container) {
	hooks := hooksOf(c.State.Spec).Poststart
	if len(hooks) == 0 {
		return
	}
	runHooksWarn(r.Log, "poststart", hooks, c.OCI().State)
}

// Poststart runs the poststart hooks of a container run just started.
func (r *Runtime) Poststart(c *Created) { r.poststart(c.Container) }

// Kill signals the init, or with all every process of the container.
func (r *Runtime) Kill(id string, sig unix.Signal, all bool) error {
	c, err := r.Load(id)
	if err != nil {
		return err
	}
	defer c.Close()
	stopped := c.Status() == specs.StateStopped
	if stopped && !all {
		return ErrNotRunning
	}
	if all {
		mgr, err := r.cgroup(c)
		if err != nil {
			return err
		}
		if stopped && (mgr == nil || !mgr.Exists()) {
			return nil
		}
		// A stopped container's cgroup may still hold processes: exec'd
		// ones, or any where the pid namespace outlives the init (the
		// pod's, the host's). containerd's shim kills them with
		// `kill --all` once the init exits, and runc does as told.
		if mgr != nil && sig == unix.SIGKILL {
			// One write to cgroup.kill where the kernel has it, with no
			// race against forks; frozen processes are thawed to die.
			return mgr.Kill() // the init was in the cgroup
		} else if mgr != nil {
			// The init is one of them; it may be gone by now.
			return signalCgroup(mgr.Pids, sig)
		}
	}
	return signalInit(c, sig)
}

func signalCgroup(pids func() ([]int, error), sig unix.Signal) error {
	ps, err := pids()
	if err != nil {
		return fmt.Errorf("list cgroup: %w", err)
	}
	for _, p := range ps {
		unix.Kill(p, sig)
	}
	return nil
}

// signalInit signals through a pidfd, so a recycled pid is never hit.
func signalInit(c *Container, sig unix.Signal) error {
	pidfd, err := unix.PidfdOpen(c.State.Pid, 0)
	if err != nil {
		return ErrNotRunning
	}
	defer unix.Close(pidfd)
	if !alive(c.State.Pid, c.State.StartTime) {
		return ErrNotRunning
	}
	if err := unix.PidfdSendSignal(pidfd, sig, nil, 0); err != nil {
		if err == unix.ESRCH {
			return ErrNotRunning // it exited (and was reaped) just now
		}
		return fmt.Errorf("signal container init: %w", err)
	}
	return nil
}

// Delete removes a stopped (or created, or with force any) container.
func (r *Runtime) Delete(id string, force bool) error {
	c, err := r.Load(id)
	if errors.Is(err, ErrNotExist) && ValidateID(id) == nil {
		// A create that died midway leaves a directory without state,
		// and maybe a cgroup with processes in it.
		if err := r.destroyOrphanCgroup(id); err != nil {
			return err
		}
		os.RemoveAll(filepath.Join(r.Root, id))
		if force {
			return nil
		}
	}
	if err != nil {
		return err
	}
	defer c.Close()
	switch st := c.Status(); st {
	case specs.StateCreated:
	case specs.StateStopped:
	default:
		if !force {
			return fmt.Errorf("cannot delete container %s that is not stopped: %s", id, st)
		}
	}
	return r.destroy(c)
}

// destroy kills whatever is left, removes the cgroup and the state, and
// runs the poststop hooks.
func (r *Runtime) destroy(c *Container) error {
	mgr, err := r.cgroup(c)
	if err != nil {
		return err
	}
	if alive(c.State.Pid, c.State.StartTime) {
		if mgr != nil {
			mgr.Kill() // thaws a paused container so its processes die
		}
		signalInit(c, unix.SIGKILL)
		waitExit(c.State.Pid, c.State.StartTime, 10*time.Second)
	}
	if mgr != nil {
		if err := mgr.Destroy(); err != nil {
			return fmt.Errorf("remove cgroup: %w", err)
		}
	}
	if _, ok := nsOf(c.State.Spec, specs.MountNamespace); !ok && c.State.Rootfs != "" {
		// Its mounts were made in the runtime's mount namespace.
		if err := rootfs.UnmountUnder(c.State.Rootfs); err != nil {
			return err
		}
	}
	st := c.OCI().State
	st.Status = specs.StateStopped
	if err := removeStateDir(c.Dir); err != nil {
		return fmt.Errorf("remove state: %w", err)
	}
	runHooksWarn(r.Log, "poststop", hooksOf(c.State.Spec).Poststop, st)
	return nil
}

// removeStateDir removes a container's directory: in the common case
// state.json is all that is left in it (two syscalls, where RemoveAll
// takes fifteen); anything else takes RemoveAll.
func removeStateDir(dir string) error {
	unix.Unlink(filepath.Join(dir, stateFile))
	if err := unix.Rmdir(dir); err == nil || err == unix.ENOENT {
		return nil
	}
	return os.RemoveAll(dir)
}

// waitExit waits until a process that is not our child has exited.
func waitExit(pid int, start uint64, timeout time.Duration) {
	if pidfd, err := unix.PidfdOpen(pid, 0); err == nil {
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
		unix.Poll(fds, int(timeout/time.Millisecond))
		unix.Close(pidfd)
		return
	}
	for end := time.Now().Add(timeout); alive(pid, start) && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
}

// Wait waits for a child (the init of run, or an exec'd process) while
// forwarding the signals a user sends to the runtime, and returns the exit
// status as a shell reports it.
func Wait(pid int) int {
	debug.SetGCPercent(100)
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT,
		unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			unix.Kill(pid, s.(unix.Signal))
		}
	}()
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// Remove deletes a container run has waited for (it relocks it: while
// it ran, other commands could use it, or delete it).
func (r *Runtime) Remove(c *Created) error {
	if err := c.relock(); err != nil {
		return err
	}
	defer c.Close()
	return r.destroy(c.Container)
}
