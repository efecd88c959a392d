package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ociRuntime drives an OCI runtime by its command line (runc's): the
// engine never imports a runtime's packages, so runc, crun and
// jinn-runtime are interchangeable.
type ociRuntime struct {
	path string
	root string // --root for the runtime's own state
}

func (e *Local) runtimeFor(c *Container) *ociRuntime {
	return &ociRuntime{path: c.Runtime, root: e.runtimeRoot(c.Runtime)}
}

// resolveRuntime finds a runtime binary: a path, jinn-runtime next to the
// jinn binary, or a name in PATH.
func (e *Local) resolveRuntime(name string) (string, error) {
	if name == "" {
		name = e.cfg.Runtime
	}
	if name == "" {
		name = "jinn-runtime"
	}
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", exitErr(ExitEngine, "runtime %s: %v", name, err)
		}
		return filepath.Abs(name)
	}
	if e.cfg.Self != "" {
		p := filepath.Join(filepath.Dir(e.cfg.Self), name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", exitErr(ExitEngine, "unknown or invalid runtime name: %s", name)
	}
	return filepath.Abs(p)
}

func (r *ociRuntime) args(a ...string) []string {
	return append([]string{"--root", r.root}, a...)
}

// run runs one runtime command and returns its stdout; errors carry stderr.
func (r *ociRuntime) run(a ...string) ([]byte, error) {
	cmd := exec.Command(r.path, r.args(a...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return out.Bytes(), fmt.Errorf("%s %s: %s", filepath.Base(r.path), a[0], msg)
	}
	return out.Bytes(), nil
}

// ociState is the runtime's `state` output.
type ociState struct {
	ID     string `json:"id"`
	Status string `json:"status"` // creating, created, running, paused, stopped
	Pid    int    `json:"pid"`
}

func (r *ociRuntime) state(id string) (*ociState, error) {
	out, err := r.run("state", id)
	if err != nil {
		return nil, err
	}
	s := &ociState{}
	if err := json.Unmarshal(out, s); err != nil {
		return nil, fmt.Errorf("parse state of %s: %w", id, err)
	}
	return s, nil
}

func (r *ociRuntime) kill(id, sig string, all bool) error {
	a := []string{"kill"}
	if all {
		a = append(a, "--all")
	}
	_, err := r.run(append(a, id, sig)...)
	return err
}

func (r *ociRuntime) delete(id string) error {
	_, err := r.run("delete", "--force", id)
	return err
}

func (r *ociRuntime) pause(id string) error {
	_, err := r.run("pause", id)
	return err
}

func (r *ociRuntime) resume(id string) error {
	_, err := r.run("resume", id)
	return err
}

// ps returns the pids in the container (runc ps --format json).
func (r *ociRuntime) ps(id string) ([]int, error) {
	out, err := r.run("ps", "--format", "json", id)
	if err != nil {
		return nil, err
	}
	var pids []int
	if err := json.Unmarshal(out, &pids); err != nil {
		return nil, fmt.Errorf("parse ps of %s: %w", id, err)
	}
	return pids, nil
}
