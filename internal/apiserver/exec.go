package apiserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/moby/moby/api/types/common"
	"github.com/moby/moby/api/types/container"

	"github.com/jinn-containers/jinn/internal/engine"
)

// execInstance is an exec created and maybe started; like dockerd's, it
// lives in the service's memory only.
type execInstance struct {
	mu          sync.Mutex
	id          string
	containerID string
	cfg         container.ExecCreateRequest
	running     bool
	started     bool
	exitCode    *int
	resize      chan [2]uint16
}

func (s *Server) execRoutes() {
	s.handle("POST /containers/{id}/exec", s.execCreate)
	s.handle("POST /exec/{id}/start", s.execStart)
	s.handle("GET /exec/{id}/json", s.execInspect)
	s.handle("POST /exec/{id}/resize", s.execResize)
}

func (s *Server) execIDs(containerID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, x := range s.execs {
		if x.containerID == containerID {
			out = append(out, id)
		}
	}
	return out
}

func (s *Server) execCreate(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecCreateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	v, err := s.eng.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if len(req.Cmd) == 0 {
		return badRequest("No exec command specified")
	}
	if !running(v.State) {
		return conflict("container %s is not running", v.ID)
	}
	if v.State.Status == "paused" {
		return conflict("Container %s is paused, unpause the container before exec", v.ID)
	}
	b := make([]byte, 32)
	rand.Read(b)
	x := &execInstance{id: hex.EncodeToString(b), containerID: v.ID, cfg: req, resize: make(chan [2]uint16, 4)}
	s.mu.Lock()
	s.execs[x.id] = x
	s.mu.Unlock()
	return writeJSON(w, http.StatusCreated, common.IDResponse{ID: x.id})
}

func (s *Server) execOf(id string) (*execInstance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.execs[id]
	if x == nil {
		return nil, notFound("No such exec instance: %s", id)
	}
	return x, nil
}

func (s *Server) execStart(w http.ResponseWriter, r *http.Request) error {
	x, err := s.execOf(r.PathValue("id"))
	if err != nil {
		return err
	}
	var req container.ExecStartRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	x.mu.Lock()
	if x.started {
		x.mu.Unlock()
		return conflict("Error: Exec command %s has already run", x.id)
	}
	x.started, x.running = true, true
	x.mu.Unlock()
	cfg := x.cfg
	o := &engine.ExecOptions{Cmd: cfg.Cmd, Env: cfg.Env, User: cfg.User, WorkingDir: cfg.WorkingDir,
		Tty: cfg.Tty, Privileged: cfg.Privileged, Detach: req.Detach, Resize: x.resize}
	finish := func(code int) {
		x.mu.Lock()
		x.running, x.exitCode = false, &code
		x.mu.Unlock()
		// Clients read the exit code right after the stream ends.
		time.AfterFunc(10*time.Minute, func() {
			s.mu.Lock()
			delete(s.execs, x.id)
			s.mu.Unlock()
		})
	}
	if req.Detach {
		_, err := s.eng.Exec(r.Context(), x.containerID, o)
		finish(0)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, struct{}{})
	}
	h, err := hijack(context.WithoutCancel(r.Context()), w, r, mediaType(cfg.Tty, apiVersion(r)))
	if err != nil {
		finish(126)
		return errWritten
	}
	defer h.close()
	stdout, stderr := h.writers(cfg.Tty)
	if cfg.AttachStdout {
		o.Stdout = stdout
	}
	if cfg.AttachStderr {
		o.Stderr = stderr
	}
	if cfg.AttachStdin {
		o.Stdin = h.stdin()
	} else {
		h.watchClose()
	}
	code, err := s.eng.Exec(h.ctx, x.containerID, o)
	if err != nil {
		// The stream is up: the error goes to the client's stderr as
		// dockerd writes it, and the exit code is docker's.
		code = engine.ExitCode(err)
		if code == engine.ExitEngine {
			code = 126
		}
		msg := err.Error() + "\r\n"
		stdout.Write([]byte(msg))
	}
	finish(code)
	return nil
}

func (s *Server) execInspect(w http.ResponseWriter, r *http.Request) error {
	x, err := s.execOf(r.PathValue("id"))
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	resp := container.ExecInspectResponse{
		ID: x.id, Running: x.running, ExitCode: x.exitCode, ContainerID: x.containerID,
		OpenStdin: x.cfg.AttachStdin, OpenStdout: x.cfg.AttachStdout, OpenStderr: x.cfg.AttachStderr,
		ProcessConfig: &container.ExecProcessConfig{Tty: x.cfg.Tty, Entrypoint: x.cfg.Cmd[0], Arguments: x.cfg.Cmd[1:],
			User: x.cfg.User, Privileged: &x.cfg.Privileged},
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (s *Server) execResize(w http.ResponseWriter, r *http.Request) error {
	x, err := s.execOf(r.PathValue("id"))
	if err != nil {
		return err
	}
	hgt, err1 := strconv.Atoi(r.URL.Query().Get("h"))
	wid, err2 := strconv.Atoi(r.URL.Query().Get("w"))
	if err1 != nil || err2 != nil || hgt < 0 || wid < 0 || hgt > 65535 || wid > 65535 {
		return badRequest("invalid resize: h and w must be numbers")
	}
	select {
	case x.resize <- [2]uint16{uint16(hgt), uint16(wid)}:
	default:
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
