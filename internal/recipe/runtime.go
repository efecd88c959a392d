package recipe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Runtime drives an OCI runtime by its command line (runc's): jinn never
// imports a runtime's packages, so runc, crun and jinn-runtime are
// interchangeable. The engine and the builder both drive them through it.
type Runtime struct {
	Path string // the runtime binary
	Root string // --root: the runtime's own state
	// SeccompCache, if set, is a file (in the engine's run root) where
	// jinn-runtime remembers the last seccomp profile it compiled: the
	// engine gives every container the same profile, 0.5-0.8 ms to compile
	// at each create. Other runtimes ignore the variable.
	SeccompCache string
}

// SeccompCacheEnv is the variable that names Runtime.SeccompCache to
// jinn-runtime (internal/runtime reads it).
const SeccompCacheEnv = "JINN_RUNTIME_SECCOMP_CACHE"

// Args are the runtime's global flags followed by a.
func (r *Runtime) Args(a ...string) []string {
	return append([]string{"--root", r.Root}, a...)
}

// Command is the runtime with its global flags and a. A runtime command lives
// milliseconds: a Go runtime (jinn-runtime, runc) starts it with one P,
// without the idle second P's thread and its spinning (jinn-runtime's
// `state`: ~0.5 ms of CPU and ~40 page faults less); the container's
// processes get the spec's environment, not this one. The monitors keep
// the same setting for the runtime commands they run.
func (r *Runtime) Command(a ...string) *exec.Cmd {
	cmd := exec.Command(r.Path, r.Args(a...)...)
	cmd.Env = r.Environ()
	return cmd
}

// Environ is the environment of the runtime's commands, Command's and
// those a monitor runs.
func (r *Runtime) Environ() []string {
	// Not "_": the shell's note of the command it ran means nothing to
	// the runtime, and the CLI's C run (cmd/jinn/cliplan.c) keys on the
	// environment without it.
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "_=") {
			env = append(env, e)
		}
	}
	env = append(env, "GOMAXPROCS=1")
	if r.SeccompCache != "" {
		env = append(env, SeccompCacheEnv+"="+r.SeccompCache)
	}
	return env
}

// Output runs one runtime command and returns its stdout; errors carry
// its stderr.
func (r *Runtime) Output(a ...string) ([]byte, error) {
	cmd := r.Command(a...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return out.Bytes(), fmt.Errorf("%s %s: %s", filepath.Base(r.Path), a[0], msg)
	}
	return out.Bytes(), nil
}

// State is the runtime's `state` output.
type State struct {
	ID     string `json:"id"`
	Status string `json:"status"` // creating, created, running, paused, stopped
	Pid    int    `json:"pid"`
}

// State asks the runtime for a container's state.
func (r *Runtime) State(id string) (*State, error) {
	out, err := r.Output("state", id)
	if err != nil {
		return nil, err
	}
	s := &State{}
	if err := json.Unmarshal(out, s); err != nil {
		return nil, fmt.Errorf("parse state of %s: %w", id, err)
	}
	return s, nil
}

// Kill sends sig to the container's init, or with all to every process.
func (r *Runtime) Kill(id, sig string, all bool) error {
	a := []string{"kill"}
	if all {
		a = append(a, "--all")
	}
	_, err := r.Output(append(a, id, sig)...)
	return err
}

// Delete removes the container, killing it first if it runs.
func (r *Runtime) Delete(id string) error {
	_, err := r.Output("delete", "--force", id)
	return err
}

// Update sets new cgroup limits on a running container (runc's
// `update --resources -`, the resources JSON on stdin).
func (r *Runtime) Update(id string, res *specs.LinuxResources) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	cmd := r.Command("update", "--resources", "-", id)
	var errb bytes.Buffer
	cmd.Stdin, cmd.Stderr = bytes.NewReader(b), &errb
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(errb.String()); msg != "" {
			return fmt.Errorf("%s update %s: %s", filepath.Base(r.Path), id, msg)
		}
		return fmt.Errorf("%s update %s: %w", filepath.Base(r.Path), id, err)
	}
	return nil
}

// Pause freezes the container.
func (r *Runtime) Pause(id string) error {
	_, err := r.Output("pause", id)
	return err
}

// Resume thaws it.
func (r *Runtime) Resume(id string) error {
	_, err := r.Output("resume", id)
	return err
}

// Ps returns the pids in the container (runc ps --format json).
func (r *Runtime) Ps(id string) ([]int, error) {
	out, err := r.Output("ps", "--format", "json", id)
	if err != nil {
		return nil, err
	}
	var pids []int
	if err := json.Unmarshal(out, &pids); err != nil {
		return nil, fmt.Errorf("parse ps of %s: %w", id, err)
	}
	return pids, nil
}

// ExitError is a container run by Run whose process exited non-zero.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit code %d", e.Code) }

// Run runs the bundle's container to its end (`run`), its output to out,
// and deletes it. On cancellation the container is killed and deleted
// before Run returns ctx's error.
func (r *Runtime) Run(ctx context.Context, bundle, id string, out io.Writer) error {
	cmd := r.Command("run", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: the terminal's Ctrl-C reaches jinn, which
	// kills the container itself instead of racing the runtime.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start OCI runtime %s: %w", r.Path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		r.killUntilGone(id, cmd, done)
		r.Delete(id)
		return ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Delete(id)
		return &ExitError{Code: ee.ExitCode()}
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", r.Path, err)
	}
	return nil
}

// killUntilGone repeats the kill: the runtime may still be between create
// and start when the first one comes.
func (r *Runtime) killUntilGone(id string, cmd *exec.Cmd, done <-chan error) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(10 * time.Second)
	for {
		r.Kill(id, "KILL", false)
		select {
		case <-done:
			return
		case <-tick.C:
		case <-giveUp:
			cmd.Process.Kill()
			<-done
			return
		}
	}
}
