package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// ExecOptions are `jinn exec` flags.
type ExecOptions struct {
	Cmd        []string
	Env        []string
	User       string
	WorkingDir string
	Tty        bool
	Detach     bool
	Privileged bool
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	Resize     <-chan [2]uint16
	// OnPty is called with the pty master of a -t exec (the CLI sets raw mode).
	OnPty func(*os.File)
}

// Exec runs a process in a running container with `runtime exec` and
// returns its exit code.
func (e *Local) Exec(ctx context.Context, ref string, o *ExecOptions) (int, error) {
	c, err := e.Lookup(ref)
	if err != nil {
		return 0, err
	}
	st := e.liveState(c)
	if st.Status == "paused" {
		return 0, exitErr(ExitEngine, "Container %s is paused, unpause the container before exec", c.ID)
	}
	if st.Status != "running" {
		return 0, exitErr(ExitEngine, "container %s is not running", c.ID)
	}
	if len(o.Cmd) == 0 {
		return 0, exitErr(ExitEngine, "exec: no command given")
	}
	var spec specs.Spec
	if err := readJSON(filepath.Join(e.bundleDir(c.ID), "config.json"), &spec); err != nil {
		return 0, exitErr(ExitEngine, "read spec of %s: %v", c.Name, err)
	}
	p := *spec.Process
	p.Args, p.Terminal = o.Cmd, o.Tty
	root := e.rootPath(c)
	if o.User != "" {
		u, err := resolveUser(root, o.User)
		if err != nil {
			return 0, &ExitError{Code: ExitEngine, Err: err}
		}
		p.User = specs.User{UID: u.UID, GID: u.GID}
	}
	if o.WorkingDir != "" {
		p.Cwd = o.WorkingDir
	}
	p.Env = containerEnv(c.Config.Hostname, o.Tty, "/root", p.Env, o.Env)
	if o.Privileged {
		p.Capabilities = &specs.LinuxCapabilities{Bounding: allCaps, Effective: allCaps, Permitted: allCaps}
	}
	var skip []string
	for _, m := range c.Mounts {
		skip = append(skip, m.Destination)
	}
	if err := checkExecutable(root, o.Cmd[0], p.Cwd, p.Env, skip); err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp(e.stateDir(c.ID), "exec-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	procPath := filepath.Join(dir, "process.json")
	if err := writeJSON(procPath, &p); err != nil {
		return 0, err
	}
	rt := e.runtimeFor(c)
	args := rt.args("exec", "--process", procPath)
	if o.Detach {
		args = append(args, "--detach", "--pid-file", filepath.Join(dir, "pid"))
	}
	var console int = -1
	if o.Tty {
		sock, done, err := monitor.ShortPath(dir, "console.sock")
		if err != nil {
			return 0, err
		}
		defer done()
		fd, err := listenUnix(sock)
		if err != nil {
			return 0, err
		}
		console = fd
		defer unix.Close(fd)
		args = append(args, "--console-socket", sock)
	}
	cmd := exec.Command(rt.path, append(args, c.ID)...)
	if o.Detach {
		out, err := cmd.CombinedOutput()
		if err != nil {
			return 0, runtimeExitError(string(out))
		}
		return 0, nil
	}
	if !o.Tty {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), nil
		}
		if err != nil {
			return 0, exitErr(ExitEngine, "exec: %v", err)
		}
		return 0, nil
	}
	cmd.Stderr = o.Stderr
	if err := cmd.Start(); err != nil {
		return 0, exitErr(ExitEngine, "exec: %v", err)
	}
	ptyCh := make(chan *os.File, 1)
	go func() {
		f, _ := monitor.ReceivePty(console)
		ptyCh <- f
	}()
	waitCh := make(chan error, 1)
	go func() { waitCh <- cmd.Wait() }()
	var master *os.File
	select {
	case master = <-ptyCh:
	case err := <-waitCh:
		return 0, runtimeExitError(fmt.Sprint(err))
	}
	if master == nil {
		return 0, exitErr(ExitEngine, "exec: no pty received")
	}
	defer master.Close()
	if o.OnPty != nil {
		o.OnPty(master)
	}
	if o.Stdin != nil {
		go io.Copy(master, o.Stdin)
	}
	done := make(chan struct{})
	go func() { io.Copy(o.Stdout, master); close(done) }()
	err = <-waitCh
	<-done
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, nil
}

func listenUnix(path string) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Listen(fd, 1); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}
