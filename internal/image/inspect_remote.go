package image

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// RemoteManifest is a manifest or index as a registry serves it.
type RemoteManifest struct {
	Ref        string             // the full reference asked for
	Descriptor ocispec.Descriptor // its media type, digest and size
	Raw        []byte             // the bytes as served
}

// FetchManifest gets ref's manifest (or index) from its registry, with the
// credentials of `jinn login` (manifest inspect).
func FetchManifest(ctx context.Context, ref string, insecure bool) (*RemoteManifest, error) {
	named, rref, err := remoteRef(ref, insecure)
	if err != nil {
		return nil, err
	}
	d, err := remote.Get(rref, remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain(nil)))
	if err != nil {
		return nil, err
	}
	return &RemoteManifest{Ref: named.String(), Raw: d.Manifest, Descriptor: ocispec.Descriptor{
		MediaType: string(d.MediaType), Digest: digest.Digest(d.Digest.String()), Size: d.Size}}, nil
}

// SearchResult is one hit of `search`, with docker's fields.
type SearchResult struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	StarCount   int    `json:"star_count"`
	IsOfficial  bool   `json:"is_official"`
	IsAutomated bool   `json:"is_automated"`
}

// Search asks a registry for repositories matching term: docker's
// /v1/search, or a registry that only speaks v2 through its catalog.
// "registry/term" searches that registry; a bare term docker's index.
func Search(ctx context.Context, term string, limit int, insecure bool) ([]SearchResult, error) {
	host, q := "index.docker.io", term
	if i := strings.Index(term, "/"); i > 0 && strings.ContainsAny(term[:i], ".:") || strings.HasPrefix(term, "localhost/") {
		host, q = term[:i], term[i+1:]
	}
	reg, err := name.NewRegistry(host, regOpts(insecure)...)
	if err != nil {
		return nil, fmt.Errorf("invalid registry %q: %w", host, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	base := reg.Scheme() + "://" + host
	if host == "index.docker.io" {
		base = "https://index.docker.io"
	}
	var v1 struct {
		Results []SearchResult `json:"results"`
	}
	code, err := getJSON(ctx, base+"/v1/search?q="+url.QueryEscape(q)+"&n="+strconv.Itoa(limit), &v1)
	if err != nil {
		return nil, err
	}
	if code == http.StatusOK {
		return v1.Results, nil
	}
	var cat struct {
		Repositories []string `json:"repositories"`
	}
	code, err = getJSON(ctx, base+"/v2/_catalog", &cat)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("search %s: the registry answered %d to both /v1/search and /v2/_catalog", host, code)
	}
	var out []SearchResult
	for _, r := range cat.Repositories {
		if strings.Contains(r, q) {
			out = append(out, SearchResult{Name: host + "/" + r})
		}
	}
	return out, nil
}

func regOpts(insecure bool) []name.Option {
	if insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func getJSON(ctx context.Context, u string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("cannot reach the registry: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(v); err != nil {
		return 0, fmt.Errorf("read %s: %w", u, err)
	}
	return resp.StatusCode, nil
}
