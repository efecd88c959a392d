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

	"github.com/jinn-containers/jinn/internal/monitor"
	"github.com/jinn-containers/jinn/internal/recipe"
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
	if st.Status == monitor.StatusPaused {
		return 0, exitErr(ExitEngine, "Container %s is paused, unpause the container before exec", c.ID)
	}
	if st.Status != monitor.StatusRunning {
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
		u, err := resolveUserRunning(st.Pid, root, o.User)
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
		all, err := recipe.HostCaps()
		if err != nil {
			return 0, err
		}
		p.Capabilities = &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all}
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
	args := rt.Args("exec", "--process", procPath)
	if o.Detach {
		args = append(args, "--detach", "--pid-file", filepath.Join(dir, "pid"))
	}
	if o.Detach {
		// A detached process has no one to hold a pty.
		p.Terminal = false
		if err := writeJSON(procPath, &p); err != nil {
			return 0, err
		}
		out, err := exec.Command(rt.Path, append(args, c.ID)...).CombinedOutput()
		if err != nil {
			return 0, execError(string(out))
		}
		return 0, nil
	}
	// In the foreground the runtime itself holds the pty (with -t) and
	// copies it to our stdio, as runc exec -t does.
	cmd := exec.Command(rt.Path, append(args, c.ID)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	if cmd.Stdin == nil && o.Tty {
		cmd.Stdin, _ = os.Open(os.DevNull)
	}
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() < 0 {
			// The runtime itself was killed: it passes the process's
			// status on (128+n for a signal), so that status is lost.
			return 0, exitErr(ExitEngine, "exec in %s: the OCI runtime was killed (%v): the process's exit status is unknown", c.Name, ee.ProcessState)
		}
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, exitErr(ExitEngine, "exec: %v", err)
	}
	return 0, nil
}

func execError(msg string) error {
	err := runtimeExitError(msg)
	if ee, ok := err.(*ExitError); ok {
		return &ExitError{Code: ee.Code, Err: fmt.Errorf("OCI runtime exec failed: %s", msg)}
	}
	return err
}
