package apiserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/monitor"
)

// attachment is one hijacked attach; until its container starts it waits
// in Server.pending, and the start request runs the container through it
// so no output is missed (docker run attaches, then starts).
type attachment struct {
	h      *hijacked
	opts   *engine.AttachOptions
	resize chan [2]uint16
	ready  chan struct{} // closed once h and opts are set (or the hijack failed: h nil)
	done   chan struct{} // closed when the stream ended

	mu     sync.Mutex
	closed bool // resize is closed: the engine's readers of it end
}

// sendResize passes a terminal size on unless the attachment ended.
func (a *attachment) sendResize(sz [2]uint16) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.closed {
		select {
		case a.resize <- sz:
		default:
		}
	}
}

func (a *attachment) closeResize() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.closed {
		a.closed = true
		close(a.resize)
	}
}

// run is an attached start: its exit code, for wait requests that come
// late (the docker CLI sends wait and start concurrently).
type run struct {
	done       chan struct{}
	code       int
	autoRemove bool
	ended      time.Time // when it ended (under Server.mu); zero while it runs
}

func (s *Server) runOf(id string) *run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[id]
}

func (s *Server) attach(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, err := s.eng.Inspect(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	stream, logs := boolParam(r, "stream"), boolParam(r, "logs")
	tty := v.Config.Tty
	a := &attachment{resize: make(chan [2]uint16, 4), done: make(chan struct{}), ready: make(chan struct{})}
	defer a.closeResize()
	waiting := stream && !running(v.State)
	if waiting {
		// Registered before the client hears 101: its start request may
		// come at once and must find this attachment.
		s.mu.Lock()
		s.pending[v.ID] = append(s.pending[v.ID], a)
		s.mu.Unlock()
	}
	h, err := hijack(context.WithoutCancel(ctx), w, r, mediaType(tty, apiVersion(r)))
	if err != nil {
		if waiting {
			s.dropPending(v.ID, a)
			close(a.ready)
		}
		return errWritten
	}
	defer h.close()
	a.h = h
	stdout, stderr := h.writers(tty)
	a.opts = &engine.AttachOptions{Tty: tty, Resize: a.resize}
	if boolParam(r, "stdout") {
		a.opts.Stdout = stdout
	}
	if boolParam(r, "stderr") {
		a.opts.Stderr = stderr
	}
	if boolParam(r, "stdin") && v.Config.OpenStdin {
		a.opts.Stdin = h.stdin()
	} else {
		h.watchClose()
	}
	if a.opts.DetachKeys, err = engine.ParseDetachKeys(q.Get("detachKeys")); err != nil {
		a.opts.DetachKeys, _ = engine.ParseDetachKeys("") // bad keys: the default ones
	}
	if waiting {
		close(a.ready)
	}
	if logs {
		s.eng.Logs(h.ctx, v.ID, &engine.LogOptions{Tail: -1, Stdout: orDiscard(a.opts.Stdout), Stderr: orDiscard(a.opts.Stderr)})
	}
	if !stream {
		return nil
	}
	if !waiting {
		s.track(v.ID, a)
		defer s.untrack(v.ID, a)
		s.eng.Attach(h.ctx, v.ID, a.opts)
		return nil
	}
	// Not running yet: the start request runs it through us.
	select {
	case <-a.done:
	case <-h.ctx.Done():
		s.dropPending(v.ID, a)
		// A start may have taken it meanwhile.
		select {
		case <-a.done:
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

func (s *Server) dropPending(id string, a *attachment) {
	s.mu.Lock()
	dropAttachment(s.pending, id, a)
	s.mu.Unlock()
}

// dropAttachment takes a out of m[id], and the id out of m with its last.
func dropAttachment(m map[string][]*attachment, id string, a *attachment) {
	list := m[id]
	for i, p := range list {
		if p == a {
			m[id] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(m[id]) == 0 {
		delete(m, id)
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// track and untrack keep a running attachment's resize channel findable.
func (s *Server) track(id string, a *attachment) {
	s.mu.Lock()
	s.live[id] = append(s.live[id], a)
	s.mu.Unlock()
}

func (s *Server) untrack(id string, a *attachment) {
	s.mu.Lock()
	dropAttachment(s.live, id, a)
	s.mu.Unlock()
}

func (s *Server) start(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if q := r.URL.Query(); q.Get("checkpoint") != "" || q.Get("checkpoint-dir") != "" {
		return badRequest("cannot restore from a checkpoint: checkpoint and restore need CRIU, which jinn does not use")
	}
	v, err := s.eng.Inspect(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if running(v.State) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if v.State.Status == monitor.StatusPaused {
		return conflict("cannot start a paused container, try unpause instead")
	}
	s.mu.Lock()
	list := s.pending[v.ID]
	delete(s.pending, v.ID)
	s.mu.Unlock()
	var ok []*attachment
	for _, a := range list {
		<-a.ready
		if a.h != nil {
			ok = append(ok, a)
		}
	}
	list = ok
	if len(list) == 0 {
		if _, err := s.eng.Start(ctx, v.ID, nil); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	a := list[0]
	if cs := v.Host.ConsoleSize; v.Config.Tty && cs[0] > 0 && cs[1] > 0 {
		// The size goes into the spec: the first line is drawn right.
		a.sendResize([2]uint16{uint16(cs[0]), uint16(cs[1])})
	}
	started := make(chan struct{})
	var once sync.Once
	a.opts.Started = func() { once.Do(func() { close(started) }) }
	rn := &run{done: make(chan struct{}), autoRemove: v.Host.AutoRemove}
	s.mu.Lock()
	s.runs[v.ID] = rn
	// Late waits find an ended run's code for a while; the old ones go
	// here rather than by a timer each, which would wake an idle service.
	for id, o := range s.runs {
		if !o.ended.IsZero() && time.Since(o.ended) > 30*time.Second {
			delete(s.runs, id)
		}
	}
	s.mu.Unlock()
	errc := make(chan error, 1)
	end := s.busy()
	go func() {
		defer end()
		s.track(v.ID, a)
		code, err := s.eng.Start(a.h.ctx, v.ID, a.opts)
		s.untrack(v.ID, a)
		rn.code = code
		close(rn.done)
		a.h.close()
		close(a.done)
		s.mu.Lock()
		rn.ended = time.Now()
		s.mu.Unlock()
		errc <- err
	}()
	// Further attachments join once it runs.
	join := func() {
		for _, b := range list[1:] {
			go func(b *attachment) {
				s.eng.Attach(b.h.ctx, v.ID, b.opts)
				b.h.close()
				close(b.done)
			}(b)
		}
	}
	select {
	case <-started:
		join()
		w.WriteHeader(http.StatusNoContent)
		return nil
	case err := <-errc:
		if err != nil {
			for _, b := range list[1:] {
				b.h.close()
				close(b.done)
			}
			return err
		}
		join()
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) resize(w http.ResponseWriter, r *http.Request) error {
	hgt, err1 := strconv.Atoi(r.URL.Query().Get("h"))
	wid, err2 := strconv.Atoi(r.URL.Query().Get("w"))
	if err1 != nil || err2 != nil || hgt < 0 || wid < 0 || hgt > 65535 || wid > 65535 {
		return badRequest("invalid resize: h and w must be numbers")
	}
	v, err := s.eng.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.mu.Lock()
	list := append(append([]*attachment{}, s.pending[v.ID]...), s.live[v.ID]...)
	s.mu.Unlock()
	for _, a := range list {
		a.sendResize([2]uint16{uint16(hgt), uint16(wid)})
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) logs(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, err := s.eng.Inspect(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !boolParam(r, "stdout") && !boolParam(r, "stderr") {
		return badRequest("Bad parameters: you must choose at least one stream")
	}
	o := &engine.LogOptions{Follow: boolParam(r, "follow"), Timestamps: boolParam(r, "timestamps"), Details: boolParam(r, "details"), Tail: -1}
	if t := r.URL.Query().Get("tail"); t != "" && t != "all" {
		n, err := strconv.Atoi(t)
		if err != nil {
			return badRequest("invalid tail: %q", t)
		}
		o.Tail = n
	}
	if o.Since, err = timeParam(r, "since"); err != nil {
		return err
	}
	if o.Until, err = timeParam(r, "until"); err != nil {
		return err
	}
	tty := v.Config.Tty
	w.Header().Set("Content-Type", mediaType(tty, apiVersion(r)))
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	flush := func() {
		if fl != nil {
			fl.Flush()
		}
	}
	flush()
	stdout, stderr := streams(w, tty, flush, nil)
	o.Stdout, o.Stderr = io.Discard, io.Discard
	if boolParam(r, "stdout") {
		o.Stdout = stdout
	}
	if boolParam(r, "stderr") {
		o.Stderr = stderr
	}
	s.eng.Logs(ctx, v.ID, o)
	return nil
}

func writeBody(w io.Writer, v any) {
	json.NewEncoder(w).Encode(v)
}
