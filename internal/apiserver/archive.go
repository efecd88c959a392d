package apiserver

import (
	"archive/tar"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"

	"github.com/moby/moby/api/types/container"
)

// pathStat stats a path inside the container: the first entry of its
// archive, read through the engine's root-confined walk, then abandoned.
func (s *Server) pathStat(ctx context.Context, id, path string) (*container.PathStat, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := s.eng.CopyFrom(ctx, id, path, pw)
		pw.CloseWithError(err)
		errc <- err
	}()
	h, err := tar.NewReader(pr).Next()
	pr.CloseWithError(io.ErrClosedPipe) // the walk stops at its next write
	if err != nil {
		if werr := <-errc; werr != nil {
			return nil, werr
		}
		return nil, err
	}
	st := &container.PathStat{Name: h.FileInfo().Name(), Size: h.Size, Mode: h.FileInfo().Mode(),
		Mtime: h.ModTime, LinkTarget: h.Linkname}
	if path == "/" || path == "." {
		st.Name = "/"
	}
	if h.Typeflag == tar.TypeSymlink {
		st.Mode |= os.ModeSymlink
	}
	return st, nil
}

func setStatHeader(w http.ResponseWriter, st *container.PathStat) {
	b, _ := json.Marshal(st)
	w.Header().Set("X-Docker-Container-Path-Stat", base64.StdEncoding.EncodeToString(b))
}

func (s *Server) archiveHead(w http.ResponseWriter, r *http.Request) error {
	path := r.URL.Query().Get("path")
	if path == "" {
		return badRequest("path is required")
	}
	st, err := s.pathStat(r.Context(), r.PathValue("id"), path)
	if err != nil {
		return err
	}
	setStatHeader(w, st)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) archiveGet(w http.ResponseWriter, r *http.Request) error {
	path := r.URL.Query().Get("path")
	if path == "" {
		return badRequest("path is required")
	}
	id := r.PathValue("id")
	st, err := s.pathStat(r.Context(), id, path)
	if err != nil {
		return err
	}
	setStatHeader(w, st)
	w.Header().Set("Content-Type", "application/x-tar")
	w.WriteHeader(http.StatusOK)
	if err := s.eng.CopyFrom(r.Context(), id, path, w); err != nil {
		return errWritten
	}
	return nil
}

func (s *Server) archivePut(w http.ResponseWriter, r *http.Request) error {
	path := r.URL.Query().Get("path")
	if path == "" {
		return badRequest("path is required")
	}
	if err := s.eng.CopyTo(r.Context(), r.PathValue("id"), path, r.Body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
