package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/fsroot"
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
	// DetachKeys end a -it exec's session and leave its process running.
	DetachKeys []byte
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
	// The command is looked for where the container sees it: its own root
	// (/proc/PID/root, pinned by a pidfd), not the host's mount of its
	// image's, which a --rm run unmounts once the container runs
	// (unmountRunning).
	r, err := fsroot.OpenProcessRoot(st.Pid)
	if err != nil {
		r, err = fsroot.Open(root)
	}
	if err != nil {
		return 0, exitErr(ExitEngine, "exec in %s: %v", c.Name, err)
	}
	err = checkExecutable(r, o.Cmd[0], p.Cwd, p.Env, skip)
	r.Close()
	if err != nil {
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
	args := []string{"exec", "--process", procPath}
	if o.Detach {
		args = append(args, "--detach", "--pid-file", filepath.Join(dir, "pid"))
	}
	if o.Detach {
		// A detached process has no one to hold a pty.
		p.Terminal = false
		if err := writeJSON(procPath, &p); err != nil {
			return 0, err
		}
		out, err := rt.Command(append(args, c.ID)...).CombinedOutput()
		if err != nil {
			return 0, execError(string(out))
		}
		return 0, nil
	}
	// In the foreground the runtime itself holds the pty (with -t) and
	// copies it to our stdio, as runc exec -t does.
	cmd := rt.Command(append(args, c.ID)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	if cmd.Stdin == nil && o.Tty {
		cmd.Stdin, _ = os.Open(os.DevNull)
	}
	var detached chan struct{}
	if o.Tty && o.Stdin != nil && len(o.DetachKeys) > 0 {
		pr, pw := io.Pipe()
		detached = make(chan struct{})
		go copyUntilKeys(pw, o.Stdin, o.DetachKeys, detached)
		cmd.Stdin = pr
		// Its own session: the terminal's hangup when this CLI leaves
		// must not end the runtime that holds the process's pty.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if _, isFile := cmd.Stdin.(*os.File); cmd.Stdin != nil && !isFile {
		// A stream (an API connection) is copied through a pipe of our
		// own: exec's copy would make Wait wait for the client's next
		// byte after the process exited.
		src := cmd.Stdin
		pr, pw, err := os.Pipe()
		if err != nil {
			return 0, err
		}
		defer pr.Close()
		defer pw.Close()
		go func() {
			io.Copy(pw, src)
			pw.Close()
		}()
		cmd.Stdin = pr
	}
	if err = cmd.Start(); err == nil {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err = <-done:
		case <-detached:
			// The process runs on; the runtime holding its pty goes on
			// without this session.
			return 0, nil
		}
	}
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

// copyUntilKeys copies a -it session's input to w until the detach keys
// come, then closes detached (as attach does, the chunk holding the
// last key is not sent).
func copyUntilKeys(w *io.PipeWriter, r io.Reader, keys []byte, detached chan struct{}) {
	matched := 0
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			switch {
			case b == keys[matched]:
				matched++
			case b == keys[0]:
				matched = 1
			default:
				matched = 0
			}
			if matched == len(keys) {
				close(detached)
				return
			}
		}
		if _, werr := w.Write(buf[:n]); werr != nil {
			return
		}
		if err != nil {
			w.CloseWithError(err)
			return
		}
	}
}
