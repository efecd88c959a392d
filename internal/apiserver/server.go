// Package apiserver serves Docker's Engine API over HTTP/1.1, as a thin
// and stateless front of the engine: every request is answered by calling
// the same engine.Engine the CLI uses, so `jinn` and the API see the same
// containers at the same time, and containers (held by their monitors)
// outlive the service. The only state kept in memory is what dockerd
// also loses on restart: exec instances and attaches waiting for a start.
//
// Request and response bodies are the types of github.com/moby/moby/api.
package apiserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jinn-containers/jinn/internal/build"
	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
	"github.com/jinn-containers/jinn/internal/memtrim"
)

// API versions, as dockerd 28.2 answers them.
const (
	APIVersion    = "1.50"
	MinAPIVersion = "1.24"
)

// Config is what the service needs; the caller (jinn system service)
// builds the engine and the image store exactly as the CLI does.
type Config struct {
	Engine engine.Engine
	// Images opens the image store (nil: image endpoints answer 500).
	Images  func() (*image.Store, error)
	Version string // jinn's version
	Root    string // the store root, for /info
	RunRoot string // the run root: a --rm container's hosts files live there
	Runtime string // the default OCI runtime
	// Build is the builder's base options (store, runtime, cgroup parent).
	Build build.Options
	// Idle: exit after this long without a request or an open stream (0: never).
	Idle time.Duration
	Log  *slog.Logger
}

// Server is one service.
type Server struct {
	cfg  Config
	eng  engine.Engine
	mux  *http.ServeMux
	log  *slog.Logger
	http *http.Server

	active   atomic.Int64 // requests and hijacked streams in flight
	lastDone atomic.Int64 // unix nanos when the last one ended

	mu      sync.Mutex
	pending map[string][]*attachment // attaches waiting for their container's start
	live    map[string][]*attachment // running attachments (for resize)
	runs    map[string]*run          // attached starts, by container id
	execs   map[string]*execInstance
}

// New returns a server for cfg.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{cfg: cfg, eng: cfg.Engine, log: cfg.Log, mux: http.NewServeMux(),
		pending: map[string][]*attachment{}, live: map[string][]*attachment{}, runs: map[string]*run{}, execs: map[string]*execInstance{}}
	s.lastDone.Store(time.Now().UnixNano())
	s.routes()
	return s
}

// Serve answers on l until ctx ends or the service was idle for cfg.Idle.
// Streams in flight end with it; containers keep running.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		MaxHeaderBytes:    1 << 20,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(l) }()
	var idle <-chan time.Time
	var tick *time.Ticker
	if s.cfg.Idle > 0 {
		tick = time.NewTicker(s.cfg.Idle / 4)
		defer tick.Stop()
		idle = tick.C
	}
	// An idle service gives back its heap and the mappings of its code:
	// it may wait for hours, and what the next request needs faults back
	// in from the page cache.
	stopTrim := make(chan struct{})
	defer close(stopTrim)
	go memtrim.WhileIdle(&s.active, &s.lastDone, stopTrim)
	for {
		select {
		case err := <-errc:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		case <-ctx.Done():
			s.http.Close()
			return nil
		case <-idle:
			if s.active.Load() == 0 && time.Since(time.Unix(0, s.lastDone.Load())) >= s.cfg.Idle {
				s.log.Info("idle, exiting", "after", s.cfg.Idle)
				s.http.Close()
				return nil
			}
		}
	}
}

// busy marks a request or stream in flight; the returned func ends it.
func (s *Server) busy() func() {
	s.active.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			s.lastDone.Store(time.Now().UnixNano())
			s.active.Add(-1)
		})
	}
}

// versionPrefix is compiled on first use: this package is linked into
// every jinn command, and most never serve.
var versionPrefix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/v(\d+)\.(\d+)(/.*)$`) })

type ctxKey int

const versionKey ctxKey = 0

// ServeHTTP strips the /v1.NN prefix (keeping the version for the
// handlers that answer older clients differently) and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	done := s.busy()
	defer done()
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "agent", r.UserAgent())
	}
	version := APIVersion
	if m := versionPrefix().FindStringSubmatch(r.URL.Path); m != nil {
		version = "1." + m[2]
		if m[1] != "1" || versionLess(version, MinAPIVersion) {
			writeError(w, &apiError{http.StatusBadRequest, "client version " + m[1] + "." + m[2] + " is too old. Minimum supported API version is " + MinAPIVersion + ", please upgrade your client to a newer version"})
			return
		}
		if versionLess(APIVersion, version) {
			writeError(w, &apiError{http.StatusBadRequest, "client version " + version + " is too new. Maximum supported API version is " + APIVersion})
			return
		}
		r.URL.Path = m[3]
		r.URL.RawPath = ""
	}
	if ua := r.UserAgent(); strings.Contains(ua, "docker-py/") && !versionLess(version, "1.42") {
		// docker-py (the Python SDK, compose 1.x) negotiates the
		// server's version but reads 1.41's shapes (compose 1.29 needs
		// an image's ContainerConfig, gone in 1.44): it gets those.
		if v := ua[strings.Index(ua, "docker-py/")+len("docker-py/"):]; v < "7" {
			version = "1.41"
		}
	}
	r = r.WithContext(context.WithValue(r.Context(), versionKey, version))
	w.Header().Set("Api-Version", APIVersion)
	w.Header().Set("Server", "Docker/"+dockerVersion+" (linux)")
	w.Header().Set("Ostype", "linux")
	s.mux.ServeHTTP(w, r)
}

// dockerVersion is the dockerd release whose API this one is.
const dockerVersion = "28.2.2"

func versionLess(a, b string) bool {
	pa, pb := strings.SplitN(a, ".", 2), strings.SplitN(b, ".", 2)
	for i := 0; i < 2; i++ {
		x, _ := strconv.Atoi(pa[min(i, len(pa)-1)])
		y, _ := strconv.Atoi(pb[min(i, len(pb)-1)])
		if x != y {
			return x < y
		}
	}
	return false
}

func apiVersion(r *http.Request) string {
	if v, ok := r.Context().Value(versionKey).(string); ok {
		return v
	}
	return APIVersion
}

type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			if !errors.Is(err, errWritten) {
				writeError(w, err)
			}
			ae := asAPIError(err)
			level := slog.LevelDebug
			if ae.code >= 500 {
				level = slog.LevelWarn
			}
			s.log.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path, "code", ae.code, "err", err)
		}
	})
}

func (s *Server) routes() {
	s.systemRoutes()
	s.containerRoutes()
	s.execRoutes()
	s.imageRoutes()
	s.networkRoutes()
	s.volumeRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{http.StatusNotFound, "page not found"})
	})
}
