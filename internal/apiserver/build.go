package apiserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/jinn-containers/jinn/internal/build"
	"github.com/jinn-containers/jinn/internal/image"
)

// build is POST /build, the classic builder's API: a tar context in the
// body, the JSON stream of {"stream": ...} lines back, and {"aux":{"ID"}}.
func (s *Server) build(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if v := q.Get("version"); v == "2" {
		return badRequest("BuildKit is not supported by jinn: build with DOCKER_BUILDKIT=0 (the classic builder)")
	}
	opts := s.cfg.Build
	opts.Tags, opts.Target, opts.NoCache, opts.Quiet = q["t"], q.Get("target"), boolParam(r, "nocache"), boolParam(r, "q")
	opts.Network, opts.Progress = q.Get("networkmode"), "plain"
	if opts.Network == "" || opts.Network == "bridge" {
		opts.Network = "default"
	}
	if err := build.CheckNetwork(opts.Network); err != nil {
		return badRequest("%v", err)
	}
	if err := buildLimits(r, &opts); err != nil {
		return err
	}
	for _, t := range opts.Tags {
		if _, err := image.ParseRef(t); err != nil {
			return badRequest("invalid tag %q: %v", t, err)
		}
	}
	opts.BuildArgs, opts.Labels = map[string]string{}, map[string]string{}
	if v := q.Get("buildargs"); v != "" {
		var args map[string]*string
		if err := json.Unmarshal([]byte(v), &args); err != nil {
			return badRequest("invalid buildargs: %v", err)
		}
		for k, val := range args {
			if val == nil {
				opts.ArgsNoVal = append(opts.ArgsNoVal, k)
			} else {
				opts.BuildArgs[k] = *val
			}
		}
	}
	if v := q.Get("labels"); v != "" {
		if err := json.Unmarshal([]byte(v), &opts.Labels); err != nil {
			return badRequest("invalid labels: %v", err)
		}
	}
	st, err := s.images()
	if err != nil {
		return err
	}
	tmp := filepath.Join(opts.Root, "build", "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	var body io.Reader = r.Body
	if remote := q.Get("remote"); remote != "" {
		rc, err := remoteContext(r.Context(), remote, q.Get("dockerfile"))
		if err != nil {
			return err
		}
		defer rc.Close()
		body = rc
	}
	bctx, err := build.OpenContext("-", body, tmp)
	if err != nil {
		return badRequest("%v", err)
	}
	defer bctx.Close()
	df := bctx.Dockerfile
	if df == nil {
		name := q.Get("dockerfile")
		if name == "" {
			name = "Dockerfile"
		}
		clean := filepath.Clean("/" + name)
		if df, err = os.ReadFile(filepath.Join(bctx.Dir, clean)); err != nil {
			return badRequest("Cannot locate specified Dockerfile: %s", name)
		}
	}
	prog := newProgress(w)
	out := &streamWriter{p: prog}
	img, err := build.Build(r.Context(), st, bctx, df, opts, out)
	if err != nil {
		prog.fail(err)
		return nil
	}
	id := img.ID.String()
	for _, t := range opts.Tags {
		if err := st.Tag(id, t); err != nil {
			prog.fail(fmt.Errorf("tag %s: %w", t, err))
			return nil
		}
	}
	prog.emit(map[string]any{"aux": map[string]string{"ID": id}})
	if opts.Quiet {
		prog.emit(map[string]string{"stream": id + "\n"})
		return nil
	}
	prog.emit(map[string]string{"stream": "Successfully built " + strings.TrimPrefix(id, "sha256:")[:12] + "\n"})
	for _, t := range opts.Tags {
		if n, err := image.ParseRef(t); err == nil {
			t = n.String()
		}
		prog.emit(map[string]string{"stream": "Successfully tagged " + image.Familiar(t) + "\n"})
	}
	return nil
}

// streamWriter sends the builder's output as {"stream": ...} messages.
type streamWriter struct{ p *jsonProgress }

func (sw *streamWriter) Write(b []byte) (int, error) {
	sw.p.mu.Lock()
	defer sw.p.mu.Unlock()
	sw.p.emit(map[string]string{"stream": string(b)})
	return len(b), nil
}
