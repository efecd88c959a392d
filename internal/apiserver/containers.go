package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/monitor"
)

func (s *Server) containerRoutes() {
	s.handle("POST /containers/create", s.create)
	s.handle("GET /containers/json", s.list)
	s.handle("GET /containers/{id}/json", s.inspect)
	s.handle("POST /containers/{id}/start", s.start)
	s.handle("POST /containers/{id}/stop", s.stop)
	s.handle("POST /containers/{id}/restart", s.restart)
	s.handle("POST /containers/{id}/kill", s.kill)
	s.handle("POST /containers/{id}/wait", s.wait)
	s.handle("DELETE /containers/{id...}", s.remove) // {id...}: rm --link names /SELF/ALIAS
	s.handle("POST /containers/{id}/attach", s.attach)
	s.handle("GET /containers/{id}/logs", s.logs)
	s.handle("POST /containers/{id}/resize", s.resize)
	s.handle("GET /containers/{id}/top", s.top)
	s.handle("GET /containers/{id}/stats", s.stats)
	s.handle("POST /containers/{id}/pause", s.simple(func(r *http.Request, id string) error { return s.eng.Pause(r.Context(), id) }))
	s.handle("POST /containers/{id}/unpause", s.simple(func(r *http.Request, id string) error { return s.eng.Unpause(r.Context(), id) }))
	s.handle("POST /containers/{id}/rename", s.simple(func(r *http.Request, id string) error {
		name := r.URL.Query().Get("name")
		if name == "" {
			return badRequest("name cannot be empty")
		}
		return s.eng.Rename(r.Context(), id, strings.TrimPrefix(name, "/"))
	}))
	s.handle("POST /containers/{id}/update", s.update)
	s.handle("GET /containers/{id}/changes", s.changes)
	s.handle("GET /containers/{id}/export", s.export)
	s.handle("GET /containers/{id}/archive", s.archiveGet)
	s.handle("HEAD /containers/{id}/archive", s.archiveHead)
	s.handle("PUT /containers/{id}/archive", s.archivePut)
	s.handle("POST /containers/prune", s.prune)
}

// simple answers 204 after fn.
func (s *Server) simple(fn func(r *http.Request, id string) error) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := fn(r, r.PathValue("id")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) error {
	var req container.CreateRequest
	if err := decodeBody(r, &req, fixNetworkingConfig); err != nil {
		return err
	}
	o, err := createOptions(r.URL.Query().Get("name"), &req)
	if err != nil {
		return err
	}
	c, err := s.eng.Create(r.Context(), o)
	if err != nil {
		if strings.Contains(err.Error(), "Unable to find image") {
			return notFound("No such image: %s", normalizeImage(o.Image))
		}
		return err
	}
	// The endpoints of other networks than its own (API 1.44 and up:
	// compose v2 gives them all at create) are joined at start.
	if nc := req.NetworkingConfig; nc != nil {
		names := make([]string, 0, len(nc.EndpointsConfig))
		own := map[string]bool{o.Host.NetworkMode: true}
		if req.HostConfig != nil {
			own[string(req.HostConfig.NetworkMode)] = true
		}
		if o.Host.NetworkMode == "bridge" {
			own["default"] = true
		}
		for n := range nc.EndpointsConfig {
			if !own[n] {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			if err := s.eng.Connect(r.Context(), n, c.ID, connectOptions(nc.EndpointsConfig[n])); err != nil {
				s.eng.Remove(context.WithoutCancel(r.Context()), c.ID, true, true)
				return err
			}
		}
	}
	return writeJSON(w, http.StatusCreated, container.CreateResponse{ID: c.ID, Warnings: append([]string{}, c.Warnings...)})
}

// normalizeImage is docker's familiar form with the default tag.
func normalizeImage(ref string) string {
	if !strings.Contains(ref, ":") && !strings.Contains(ref, "@") {
		return ref + ":latest"
	}
	return ref
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) error {
	specs, err := filterArgs(r)
	if err != nil {
		return err
	}
	f, err := newContainerFilter(specs)
	if err != nil {
		return err
	}
	vs, err := s.eng.List(r.Context())
	if err != nil {
		return err
	}
	all := boolParam(r, "all")
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	out := []container.Summary{}
	ids := s.netIDs()
	for _, v := range vs {
		if !all && !running(v.State) && !f.has("status") {
			continue
		}
		if !f.match(v) {
			continue
		}
		out = append(out, s.summary(v, ids))
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func running(st *monitor.State) bool {
	switch st.Status {
	case monitor.StatusRunning, monitor.StatusPaused, monitor.StatusRestarting:
		return true
	}
	return false
}

func (s *Server) inspect(w http.ResponseWriter, r *http.Request) error {
	v, err := s.eng.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.inspectDoc(v, apiVersion(r)))
}

// timeoutParam reads t (or timeout): seconds; absent is nil (the container's own).
func timeoutParam(r *http.Request) (*int, error) {
	q := r.URL.Query()
	v := q.Get("t")
	if v == "" {
		v = q.Get("timeout")
	}
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, badRequest("invalid value for t: %q", v)
	}
	return &n, nil
}

func (s *Server) stop(w http.ResponseWriter, r *http.Request) error {
	_, ran, err := s.stopRunning(r)
	if err != nil {
		return err
	}
	if !ran {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) restart(w http.ResponseWriter, r *http.Request) error {
	t, err := timeoutParam(r)
	if err != nil {
		return err
	}
	if err := s.eng.Restart(r.Context(), r.PathValue("id"), r.URL.Query().Get("signal"), t); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// stopRunning stops the path's container if it runs (the request's
// signal and t, or its own) and says whether it ran.
func (s *Server) stopRunning(r *http.Request) (*engine.View, bool, error) {
	t, err := timeoutParam(r)
	if err != nil {
		return nil, false, err
	}
	id := r.PathValue("id")
	v, err := s.eng.Inspect(r.Context(), id)
	if err != nil {
		return nil, false, err
	}
	if !running(v.State) {
		return v, false, nil
	}
	return v, true, s.eng.StopWith(r.Context(), id, r.URL.Query().Get("signal"), t)
}

func (s *Server) kill(w http.ResponseWriter, r *http.Request) error {
	sig := r.URL.Query().Get("signal")
	if sig == "" {
		sig = "KILL"
	}
	id := r.PathValue("id")
	v, err := s.eng.Inspect(r.Context(), id)
	if err != nil {
		return err
	}
	if !running(v.State) {
		return conflict("Cannot kill container: %s: container %s is not running", id, v.ID)
	}
	if err := s.eng.Kill(r.Context(), id, sig); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) remove(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if boolParam(r, "link") {
		if err := s.eng.RemoveLink(r.Context(), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	v, err := s.eng.Inspect(r.Context(), id)
	if err != nil {
		return err
	}
	force := boolParam(r, "force")
	if running(v.State) && !force {
		return conflict("cannot remove container \"/%s\": container is running: stop the container before removing or force remove", v.Name)
	}
	if err := s.eng.Remove(r.Context(), v.ID, force, boolParam(r, "v")); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			w.WriteHeader(http.StatusNoContent) // removed meanwhile (--rm)
			return nil
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) top(w http.ResponseWriter, r *http.Request) error {
	pids, err := s.eng.Top(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	header, rows, _, err := engine.PsRows(r.Context(), pids, strings.Fields(r.URL.Query().Get("ps_args")))
	if err != nil {
		return err
	}
	titles := strings.Fields(header)
	resp := container.TopResponse{Titles: titles, Processes: [][]string{}}
	for _, l := range rows {
		// The last column (the command) keeps its spaces.
		f := strings.Fields(l)
		if len(f) < len(titles) {
			continue
		}
		resp.Processes = append(resp.Processes, append(f[:len(titles)-1:len(titles)-1], strings.Join(f[len(titles)-1:], " ")))
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request) error {
	var req container.UpdateConfig
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	u := &engine.UpdateConfig{}
	res := &u.Resources
	res.Memory, res.MemorySwap, res.MemoryReservation = req.Memory, req.MemorySwap, req.MemoryReservation
	res.NanoCpus, res.CPUShares, res.CpusetCpus, res.PidsLimit = req.NanoCPUs, req.CPUShares, req.CpusetCpus, req.PidsLimit
	res.BlkioWeight = req.BlkioWeight
	res.CPURealtimePeriod, res.CPURealtimeRuntime = req.CPURealtimePeriod, req.CPURealtimeRuntime
	if req.CPUQuota > 0 && res.NanoCpus == 0 {
		period := req.CPUPeriod
		if period == 0 {
			period = 100000
		}
		res.NanoCpus = req.CPUQuota * 1e9 / period
	}
	if req.RestartPolicy.Name != "" {
		u.RestartPolicy = &engine.RestartPolicy{Name: string(req.RestartPolicy.Name), MaximumRetryCount: req.RestartPolicy.MaximumRetryCount}
	}
	if err := s.eng.Update(r.Context(), r.PathValue("id"), u); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, container.UpdateResponse{Warnings: []string{}})
}

func (s *Server) changes(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.eng.Changes(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := []container.FilesystemChange{}
	for _, c := range cs {
		k := container.ChangeModify
		switch c.Kind {
		case "A":
			k = container.ChangeAdd
		case "D":
			k = container.ChangeDelete
		}
		out = append(out, container.FilesystemChange{Path: c.Path, Kind: k})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.eng.Inspect(r.Context(), id); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-tar")
	if err := s.eng.Export(r.Context(), id, w); err != nil {
		return errWritten
	}
	return nil
}

func (s *Server) prune(w http.ResponseWriter, r *http.Request) error {
	ids, err := s.eng.Prune(r.Context())
	if err != nil {
		return err
	}
	if ids == nil {
		ids = []string{}
	}
	return writeJSON(w, http.StatusOK, container.PruneReport{ContainersDeleted: ids})
}

// waitCondition polls the container until the condition holds and
// answers its exit code; attached starts of this service give the code
// directly (a --rm container is gone by the time a poll would see it).
func (s *Server) wait(w http.ResponseWriter, r *http.Request) error {
	cond := r.URL.Query().Get("condition")
	switch cond {
	case "", "not-running", "next-exit", "removed":
	default:
		return badRequest("invalid condition: %q", cond)
	}
	ctx := r.Context()
	v, err := s.eng.Inspect(ctx, r.PathValue("id"))
	if err != nil {
		if rn := s.runOf(r.PathValue("id")); rn == nil {
			return err
		}
	}
	id := r.PathValue("id")
	var first time.Time
	if v != nil {
		id, first = v.ID, v.State.StartedAt
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	code, werr := s.waitFor(r, id, cond, first)
	resp := container.WaitResponse{StatusCode: int64(code)}
	if werr != nil {
		resp.Error = &container.WaitExitError{Message: werr.Error()}
	}
	writeBody(w, resp)
	return nil
}

func (s *Server) waitFor(r *http.Request, id, cond string, first time.Time) (int, error) {
	ctx := r.Context()
	sawRunning, last := false, 0
	for {
		if rn := s.runOf(id); rn != nil {
			select {
			case <-rn.done:
			case <-ctx.Done():
				return 0, ctx.Err()
			}
			if cond != "removed" || !rn.autoRemove {
				return rn.code, nil
			}
			last = rn.code
		}
		v, err := s.eng.Inspect(ctx, id)
		if err != nil {
			if errors.Is(err, engine.ErrNotFound) {
				return last, nil
			}
			return 0, err
		}
		st := v.State
		exited := st.Status == monitor.StatusExited || st.Status == engine.StatusDead
		if running(st) {
			sawRunning = true
		}
		if exited {
			last = st.ExitCode
		}
		switch cond {
		case "", "not-running":
			if !running(st) {
				return st.ExitCode, nil
			}
		case "next-exit":
			if exited && (sawRunning || !st.StartedAt.Equal(first)) {
				return st.ExitCode, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// fixNetworkingConfig wraps endpoints that docker-py 5 puts directly in
// NetworkingConfig ({"net": {...}}) into EndpointsConfig, which is what
// it means (dockerd ignores them silently; jinn would refuse them).
func fixNetworkingConfig(body map[string]json.RawMessage) {
	raw, ok := body["NetworkingConfig"]
	if !ok {
		return
	}
	var nc map[string]json.RawMessage
	if json.Unmarshal(raw, &nc) != nil {
		return
	}
	eps := map[string]json.RawMessage{}
	if e, ok := nc["EndpointsConfig"]; ok && json.Unmarshal(e, &eps) != nil {
		return
	}
	moved := false
	for k, v := range nc {
		if k != "EndpointsConfig" {
			if string(v) == "null" {
				v = json.RawMessage("{}")
			}
			eps[k] = v
			moved = true
		}
	}
	if moved {
		b, _ := json.Marshal(map[string]any{"EndpointsConfig": eps})
		body["NetworkingConfig"] = b
	}
}
