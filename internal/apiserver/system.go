package apiserver

import (
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
	"github.com/jinn-containers/jinn/internal/monitor"
)

func (s *Server) systemRoutes() {
	s.handle("GET /_ping", s.ping)
	s.handle("HEAD /_ping", s.ping)
	s.handle("GET /version", s.version)
	s.handle("GET /info", s.info)
	s.handle("GET /events", s.events)
	s.handle("GET /system/df", s.systemDF)
	s.handle("POST /auth", s.auth)
	// BuildKit's paths: the classic builder is the only one, so the
	// client falls back to it (DOCKER_BUILDKIT=0).
	for _, p := range []string{"/grpc", "/session"} {
		s.handle("POST "+p, func(w http.ResponseWriter, r *http.Request) error {
			return badRequest("BuildKit is not supported by jinn: build with DOCKER_BUILDKIT=0 (the classic builder)")
		})
	}
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Docker-Experimental", "false")
	h.Set("Builder-Version", "1")
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write([]byte("OK"))
	}
	return nil
}

func kernelVersion() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) error {
	v := system.VersionResponse{
		Platform:      system.PlatformInfo{Name: "jinn"},
		Version:       dockerVersion,
		APIVersion:    APIVersion,
		MinAPIVersion: MinAPIVersion,
		Os:            runtime.GOOS,
		Arch:          runtime.GOARCH,
		GoVersion:     runtime.Version(),
		KernelVersion: kernelVersion(),
		Components: []system.ComponentVersion{
			{Name: "Engine", Version: dockerVersion, Details: map[string]string{
				"ApiVersion": APIVersion, "MinAPIVersion": MinAPIVersion, "Os": runtime.GOOS, "Arch": runtime.GOARCH,
				"GoVersion": runtime.Version(), "KernelVersion": kernelVersion(), "Experimental": "false"}},
			{Name: "jinn", Version: s.cfg.Version, Details: map[string]string{"Runtime": s.cfg.Runtime}},
		},
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.eng.List(r.Context())
	if err != nil {
		return err
	}
	in := system.Info{
		ID: "jinn", Driver: "overlay2", LoggingDriver: "json-file", CgroupDriver: "cgroupfs",
		CgroupVersion: "1", KernelVersion: kernelVersion(), OSType: "linux", Architecture: runtime.GOARCH,
		OperatingSystem: osName(), NCPU: runtime.NumCPU(), DockerRootDir: s.cfg.Root,
		ServerVersion: dockerVersion, DefaultRuntime: s.cfg.Runtime, MemoryLimit: true, SwapLimit: true,
		CPUCfsPeriod: true, CPUCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
		IPv4Forwarding: true, OomKillDisable: true, NGoroutines: runtime.NumGoroutine(),
		SystemTime: time.Now().Format(time.RFC3339Nano), IndexServerAddress: "https://index.docker.io/v1/",
		Runtimes:        map[string]system.RuntimeWithStatus{},
		SecurityOptions: []string{"name=seccomp,profile=builtin"},
		Labels:          []string{}, Warnings: []string{},
		Plugins: system.PluginsInfo{Volume: []string{"local"}, Network: []string{"bridge", "host", "null"},
			Log: []string{"json-file"}},
	}
	in.Name, _ = os.Hostname()
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		in.CgroupVersion = "2"
	}
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		in.MemTotal = int64(si.Totalram) * int64(si.Unit)
	}
	for _, rt := range []string{"jinn-runtime", "runc", "crun"} {
		in.Runtimes[rt] = system.RuntimeWithStatus{Runtime: system.Runtime{Path: rt}}
	}
	for _, v := range vs {
		in.Containers++
		switch v.State.Status {
		case monitor.StatusRunning, monitor.StatusRestarting:
			in.ContainersRunning++
		case monitor.StatusPaused:
			in.ContainersPaused++
		default:
			in.ContainersStopped++
		}
	}
	if st, err := s.images(); err == nil {
		if imgs, err := st.List(); err == nil {
			in.Images = len(imgs)
		}
	}
	return writeJSON(w, http.StatusOK, in)
}

func osName() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "Linux"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Linux"
}

// filterArgs decodes dockerd's filters parameter: {"key":{"value":true}}
// or the older {"key":["value"]}, as "key=value" pairs.
func filterArgs(r *http.Request) ([]string, error) {
	raw := r.URL.Query().Get("filters")
	if raw == "" {
		return nil, nil
	}
	var out []string
	var m map[string]map[string]bool
	if err := json.Unmarshal([]byte(raw), &m); err == nil {
		for k, vs := range m {
			for v, on := range vs {
				if on {
					out = append(out, k+"="+v)
				}
			}
		}
		return out, nil
	}
	var l map[string][]string
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		return nil, badRequest("invalid filter: %v", err)
	}
	for k, vs := range l {
		for _, v := range vs {
			out = append(out, k+"="+v)
		}
	}
	return out, nil
}

// timeParam reads since/until: unix seconds (with fractions) or RFC 3339.
func timeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	sec, frac, _ := strings.Cut(v, ".")
	var s, ns int64
	for _, c := range sec {
		if c < '0' || c > '9' {
			return time.Time{}, badRequest("invalid %s time %q", name, v)
		}
		s = s*10 + int64(c-'0')
	}
	frac = (frac + "000000000")[:9]
	for _, c := range frac {
		if c < '0' || c > '9' {
			return time.Time{}, badRequest("invalid %s time %q", name, v)
		}
		ns = ns*10 + int64(c-'0')
	}
	return time.Unix(s, ns), nil
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	specs, err := filterArgs(r)
	if err != nil {
		return err
	}
	f, err := engine.ParseEventFilter(specs)
	if err != nil {
		return badRequest("%v", err)
	}
	since, err := timeParam(r, "since")
	if err != nil {
		return err
	}
	until, err := timeParam(r, "until")
	if err != nil {
		return err
	}
	if since.IsZero() {
		// Without since, only new events (dockerd keeps no backlog for them).
		since = time.Now()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	enc := json.NewEncoder(w)
	s.eng.Events().Follow(r.Context(), since, until, true, f, func(ev *engine.Event) {
		m := events.Message{Type: events.Type(ev.Type), Action: events.Action(ev.Action), Scope: "local",
			Actor: events.Actor{ID: ev.Actor.ID, Attributes: ev.Actor.Attributes}, Time: ev.Time, TimeNano: ev.TimeNano}
		var out any = m
		if versionLess(apiVersion(r), "1.52") && ev.Type == "container" {
			// Older clients still read status, id and from.
			out = struct {
				Status string `json:"status,omitempty"`
				ID     string `json:"id,omitempty"`
				From   string `json:"from,omitempty"`
				events.Message
			}{ev.Action, ev.Actor.ID, ev.Actor.Attributes["image"], m}
		}
		enc.Encode(out)
		if fl != nil {
			fl.Flush()
		}
	})
	return nil
}

func (s *Server) systemDF(w http.ResponseWriter, r *http.Request) error {
	du, err := s.eng.DiskUsage(r.Context())
	if err != nil {
		return err
	}
	vs, _ := s.eng.List(r.Context())
	sizes := map[string]int64{}
	for _, c := range du.Containers {
		sizes[c.ID] = c.Size
	}
	out := map[string]any{"LayersSize": du.ImagesSize}
	var ctrs []any
	ids := s.netIDs()
	for _, v := range vs {
		sum := s.summary(v, ids)
		sum.SizeRw = sizes[v.ID]
		ctrs = append(ctrs, sum)
	}
	out["Containers"] = nonNilAny(ctrs)
	var imgs []any
	if st, err := s.images(); err == nil {
		if list, err := st.List(); err == nil {
			for _, img := range list {
				imgs = append(imgs, imageSummary(img, 0))
			}
		}
	}
	out["Images"] = nonNilAny(imgs)
	var vols []any
	if list, err := s.eng.Volumes().List(); err == nil {
		for _, v := range list {
			vols = append(vols, volumeOf(v))
		}
	}
	out["Volumes"] = nonNilAny(vols)
	out["BuildCache"] = []any{}
	return writeJSON(w, http.StatusOK, out)
}

func nonNilAny(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}

// auth checks credentials against the registry, as dockerd does for
// docker login; nothing is stored (clients send them with each pull and push).
func (s *Server) auth(w http.ResponseWriter, r *http.Request) error {
	var ac registry.AuthConfig
	if err := decodeBody(r, &ac); err != nil {
		return err
	}
	server := ac.ServerAddress
	if server == "" {
		server = image.DockerHubServer
	}
	if err := image.CheckLogin(r.Context(), server, ac.Username, ac.Password, false); err != nil {
		if strings.Contains(err.Error(), "unauthorized") {
			return &apiError{http.StatusUnauthorized, err.Error()}
		}
		return err
	}
	return writeJSON(w, http.StatusOK, registry.AuthResponse{Status: "Login Succeeded"})
}
