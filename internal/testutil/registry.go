// Package testutil holds test fixtures shared by unit and end-to-end tests.
package testutil

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Registry serves go-containerregistry's in-memory registry on loopback
// with basic auth (alice/secret) for the test's lifetime and returns its
// host:port. While corrupt (if not nil) is set, blob downloads get a
// flipped byte, so tests can check that pulls verify digests.
func Registry(t testing.TB, corrupt *atomic.Bool) string {
	return serve(t, true, corrupt)
}

// OpenRegistry serves go-containerregistry's in-memory registry on loopback
// without auth, as clients that only know anonymous pulls (containerd's
// CRI plugin with a mirror endpoint) need; it returns host:port.
func OpenRegistry(t testing.TB) string { return serve(t, false, nil) }

func serve(t testing.TB, auth bool, corrupt *atomic.Bool) string {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); auth && (!ok || u != "alice" || p != "secret") {
			w.Header().Set("WWW-Authenticate", `Basic realm="jinn-test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if corrupt != nil && corrupt.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			rec := httptest.NewRecorder()
			reg.ServeHTTP(rec, r)
			b := rec.Body.Bytes()
			if len(b) > 100 {
				b[len(b)/2] ^= 0xff
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(b)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}
