package image

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jinn-containers/jinn/internal/testutil"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

type staticKeychain struct{ user, pass string }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig{Username: k.user, Password: k.pass}), nil
}

func TestPushPull(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	host := testutil.Registry(t, nil)
	kc := staticKeychain{"alice", "secret"}
	s := testStore(t)
	if _, err := s.Load(ctx, bytes.NewReader(dockerArchive(t, host+"/app:v1",
		layerTar(tfile{name: "a", body: "1"}), layerTar(tfile{name: "b", body: strings.Repeat("2", 5000)}))), LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	src, _ := s.Get(host + "/app:v1")
	if err := s.Push(ctx, host+"/app:v1", PushOptions{Keychain: staticKeychain{"alice", "wrong"}}); err == nil {
		t.Fatal("push with a wrong password worked")
	}
	var out bytes.Buffer
	if err := s.Push(ctx, host+"/app:v1", PushOptions{Keychain: kc, Progress: &out}); err != nil {
		t.Fatal(err)
	}
	s2 := testStore(t)
	img, err := s2.Pull(ctx, host+"/app:v1", PullOptions{Keychain: kc, Progress: &out})
	if err != nil {
		t.Fatal(err)
	}
	if img.ID != src.ID || len(img.RepoDigests) != 1 {
		t.Fatalf("pulled %s (%v), pushed %s", img.ID, img.RepoDigests, src.ID)
	}
	if _, err := s2.Get(img.RepoDigests[0]); err != nil {
		t.Fatalf("by digest: %v", err)
	}
	// Pulling again fetches no layer.
	out.Reset()
	if _, err := s2.Pull(ctx, host+"/app:v1", PullOptions{Keychain: kc, Progress: &out}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "Pull complete") {
		t.Fatalf("re-pull downloaded layers:\n%s", out.String())
	}
}

func TestPullCorruptStoresNothing(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	var corrupt atomic.Bool
	host := testutil.Registry(t, &corrupt)
	kc := staticKeychain{"alice", "secret"}
	img, _ := random.Image(4096, 2)
	ref, _ := name.ParseReference(host + "/rand:1")
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(kc)); err != nil {
		t.Fatal(err)
	}
	corrupt.Store(true)
	s := testStore(t)
	if _, err := s.Pull(ctx, host+"/rand:1", PullOptions{Keychain: kc}); err == nil {
		t.Fatal("pulled a corrupted layer")
	}
	n := 0
	s.Content().Walk(func(digest.Digest, int64) error { n++; return nil })
	infos, _ := s.Snapshots().List()
	imgs, _ := s.List()
	if n != 0 || len(infos) != 0 || len(imgs) != 0 {
		t.Fatalf("failed pull left %d blobs, %d snapshots, %d images", n, len(infos), len(imgs))
	}
}

func TestPullMultiArch(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	host := testutil.Registry(t, nil)
	kc := staticKeychain{"alice", "secret"}
	amd, _ := random.Image(1024, 1)
	arm, _ := random.Image(1024, 1)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}})
	ref, _ := name.ParseReference(host + "/multi:1")
	if err := remote.WriteIndex(ref, idx, remote.WithAuthFromKeychain(kc)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p   ocispec.Platform
		img v1.Image
	}{{ocispec.Platform{OS: "linux", Architecture: "amd64"}, amd}, {ocispec.Platform{OS: "linux", Architecture: "arm64"}, arm}} {
		s := testStore(t)
		got, err := s.Pull(ctx, host+"/multi:1", PullOptions{Keychain: kc, Platform: c.p})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := c.img.ConfigName()
		if got.ID.String() != want.String() {
			t.Errorf("%s: got %s want %s", c.p.Architecture, got.ID, want)
		}
	}
	s := testStore(t)
	if _, err := s.Pull(ctx, host+"/multi:1", PullOptions{Keychain: kc, Platform: ocispec.Platform{OS: "linux", Architecture: "s390x"}}); err == nil || !strings.Contains(err.Error(), "no image for platform") {
		t.Fatalf("missing platform: %v", err)
	}
}

// TestPullTokenAuth: a registry that wants a bearer token from its token
// service, which takes basic credentials (docker's token auth flow).
func TestPullTokenAuth(t *testing.T) {
	needRoot(t)
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var base string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "secret" {
				http.Error(w, "bad credentials", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"token":"tok-123","access_token":"tok-123"}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok-123" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+base+`/token",service="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	base = srv.URL
	host := strings.TrimPrefix(srv.URL, "http://")
	kc := staticKeychain{"alice", "secret"}
	img, _ := random.Image(2048, 1)
	ref, _ := name.ParseReference(host + "/tok:1")
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(kc)); err != nil {
		t.Fatal(err)
	}
	s := testStore(t)
	if _, err := s.Pull(context.Background(), host+"/tok:1", PullOptions{Keychain: staticKeychain{"alice", "nope"}}); err == nil {
		t.Fatal("pulled with a wrong password")
	}
	got, err := s.Pull(context.Background(), host+"/tok:1", PullOptions{Keychain: kc})
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := img.ConfigName(); got.ID.String() != want.String() {
		t.Fatalf("got %s want %s", got.ID, want)
	}
	if err := CheckLogin(context.Background(), host, "alice", "secret", false); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := CheckLogin(context.Background(), host, "alice", "nope", false); err == nil {
		t.Fatal("login with a wrong password")
	}
}
