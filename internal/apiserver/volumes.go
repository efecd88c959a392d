package apiserver

import (
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/api/types/volume"

	"github.com/jinn-containers/jinn/internal/engine"
)

func (s *Server) volumeRoutes() {
	s.handle("POST /volumes/create", s.volumeCreate)
	s.handle("GET /volumes", s.volumeList)
	s.handle("GET /volumes/{name}", s.volumeInspect)
	s.handle("DELETE /volumes/{name}", s.volumeRemove)
	s.handle("POST /volumes/prune", s.volumePrune)
}

func volumeOf(v *engine.Volume) volume.Volume {
	out := volume.Volume{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Labels: v.Labels,
		Scope: "local", Options: v.Options, CreatedAt: v.CreatedAt.Format(time.RFC3339)}
	if out.Driver == "" {
		out.Driver = "local"
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	if out.Options == nil {
		out.Options = map[string]string{}
	}
	return out
}

func (s *Server) volumeCreate(w http.ResponseWriter, r *http.Request) error {
	var req volume.CreateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Driver != "" && req.Driver != "local" {
		return notFound("create %s: error looking up volume plugin %s: plugin %q not found", req.Name, req.Driver, req.Driver)
	}
	// The local driver's options (type, device, o) as `volume create -o`.
	v, err := s.eng.Volumes().CreateWithOptions(req.Name, req.Driver, req.Labels, req.DriverOpts)
	if err != nil {
		if strings.Contains(err.Error(), "exists") {
			return conflict("%v", err)
		}
		return badRequest("%v", err)
	}
	return writeJSON(w, http.StatusCreated, volumeOf(v))
}

func (s *Server) volumeList(w http.ResponseWriter, r *http.Request) error {
	specs, err := filterArgs(r)
	if err != nil {
		return err
	}
	vols, err := s.eng.Volumes().List()
	if err != nil {
		return err
	}
	resp := volume.ListResponse{Volumes: []volume.Volume{}, Warnings: []string{}}
	for _, v := range vols {
		if volumeMatch(specs, v) {
			resp.Volumes = append(resp.Volumes, volumeOf(v))
		}
	}
	return writeJSON(w, http.StatusOK, resp)
}

func volumeMatch(specs []string, v *engine.Volume) bool {
	for _, sp := range specs {
		k, val, _ := strings.Cut(sp, "=")
		switch k {
		case "name":
			if !strings.Contains(v.Name, val) {
				return false
			}
		case "label":
			lk, lv, hasVal := strings.Cut(val, "=")
			got, ok := v.Labels[lk]
			if !ok || (hasVal && got != lv) {
				return false
			}
		case "driver":
			if val != "local" {
				return false
			}
		}
	}
	return true
}

func (s *Server) volumeInspect(w http.ResponseWriter, r *http.Request) error {
	v, err := s.eng.Volumes().Get(r.PathValue("name"))
	if err != nil {
		return notFound("get %s: no such volume", r.PathValue("name"))
	}
	return writeJSON(w, http.StatusOK, volumeOf(v))
}

func (s *Server) volumeRemove(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if _, err := s.eng.Volumes().Get(name); err != nil {
		return notFound("get %s: no such volume", name)
	}
	if err := s.eng.Volumes().Remove(name, boolParam(r, "force")); err != nil {
		return conflict("%v", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) volumePrune(w http.ResponseWriter, r *http.Request) error {
	specs, err := filterArgs(r)
	if err != nil {
		return err
	}
	all := false
	for _, sp := range specs {
		if sp == "all=true" || sp == "all=1" {
			all = true
		}
	}
	names, err := s.eng.Volumes().Prune(all)
	if err != nil {
		return err
	}
	if names == nil {
		names = []string{}
	}
	return writeJSON(w, http.StatusOK, volume.PruneReport{VolumesDeleted: names})
}
