package apiserver

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jinn-containers/jinn/internal/build"
	"github.com/jinn-containers/jinn/internal/image"
)

// imageImport is POST /images/create?fromSrc=: docker import. The tarball
// is the body (fromSrc=-) or is fetched from an http(s) URL; repo and tag
// name the image, changes are Dockerfile instructions applied to its
// config, message is its history comment. The answer is dockerd's JSON
// stream, ending with {"status": "<image id>"}.
func (s *Server) imageImport(w http.ResponseWriter, r *http.Request) error {
	st, err := s.images()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ref := q.Get("repo")
	if tag := q.Get("tag"); ref != "" && tag != "" {
		ref += ":" + tag
	}
	if ref != "" {
		if _, err := image.ParseRef(ref); err != nil {
			return badRequest("invalid reference format: %v", err)
		}
	}
	p, err := image.ParsePlatform(q.Get("platform"))
	if err != nil {
		return badRequest("%v", err)
	}
	changes := q["changes"]
	if err := build.ApplyChanges(&image.Config{}, changes); err != nil {
		return badRequest("%v", err)
	}
	opts := image.ImportOptions{Ref: ref, Message: q.Get("message"), Platform: p,
		Apply: func(c *image.Config) error { return build.ApplyChanges(c, changes) }}
	var src io.Reader = r.Body
	if from := q.Get("fromSrc"); from != "-" {
		if !strings.Contains(from, "://") {
			from = "http://" + from // as dockerd
		}
		resp, err := fetch(r.Context(), from)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		src = resp.Body
	}
	prog := newProgress(w)
	img, err := st.Import(r.Context(), src, opts)
	if err != nil {
		prog.fail(err)
		return nil
	}
	prog.emit(map[string]string{"status": img.ID.String()})
	return nil
}

// fetch GETs an http(s) URL for import or a remote build context: a
// status other than 200 is an error, as dockerd's.
func fetch(ctx context.Context, raw string) (*http.Response, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, badRequest("invalid URL %q: only http and https URLs are supported", raw)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	c := &http.Client{Timeout: 0, Transport: &http.Transport{Proxy: http.ProxyFromEnvironment,
		ResponseHeaderTimeout: time.Minute, TLSHandshakeTimeout: 30 * time.Second}}
	resp, err := c.Do(req)
	if err != nil {
		return nil, &apiError{http.StatusInternalServerError, err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &apiError{http.StatusInternalServerError, fmt.Sprintf("error downloading remote context %s: %s", raw, resp.Status)}
	}
	return resp, nil
}

// remoteContext is the build context of POST /build?remote=URL, as
// dockerd makes it: a URL that serves text/plain is a Dockerfile (the
// context holds only it, named dockerfile), anything else a tarball
// (plain or compressed). Git repositories are refused: jinn has no git.
func remoteContext(ctx context.Context, remote, dockerfile string) (io.ReadCloser, error) {
	if isGitURL(remote) {
		return nil, badRequest("git build contexts are not supported by jinn: %s (send the context as a tar, or an http(s) URL of one)", remote)
	}
	resp, err := fetch(ctx, remote)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(resp.Body, 512)
	head, _ := br.Peek(512)
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "" {
		ct, _, _ = mime.ParseMediaType(http.DetectContentType(head))
	}
	if ct != "text/plain" {
		return struct {
			io.Reader
			io.Closer
		}{br, resp.Body}, nil
	}
	defer resp.Body.Close()
	df, err := io.ReadAll(io.LimitReader(br, maxBody+1))
	if err != nil {
		return nil, &apiError{http.StatusInternalServerError, fmt.Sprintf("read %s: %v", remote, err)}
	}
	if len(df) > maxBody {
		return nil, badRequest("the Dockerfile at %s is larger than %d bytes", remote, maxBody)
	}
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: dockerfile, Mode: 0o644, Size: int64(len(df)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)})
	tw.Write(df)
	tw.Close()
	return io.NopCloser(&b), nil
}

// isGitURL is dockerd's test for a git build context.
func isGitURL(s string) bool {
	if strings.HasPrefix(s, "git://") || strings.HasPrefix(s, "git@") || strings.HasPrefix(s, "github.com/") {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.HasSuffix(u.Path, ".git")
}
