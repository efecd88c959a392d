package apiserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	mimage "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/storage"

	"github.com/jinn-containers/jinn/internal/filters"
	"github.com/jinn-containers/jinn/internal/image"
)

func (s *Server) imageRoutes() {
	s.handle("GET /images/json", s.imageList)
	s.handle("GET /images/{name...}", s.imageByName)
	s.handle("POST /images/create", s.imagePull)
	s.handle("POST /images/load", s.imageLoad)
	s.handle("GET /images/get", s.imageSave)
	s.handle("POST /images/prune", s.imagePrune)
	s.handle("GET /images/search", func(w http.ResponseWriter, r *http.Request) error {
		return &apiError{http.StatusNotImplemented, "jinn has no registry search: search is not supported (no index server is configured)"}
	})
	s.handle("POST /images/{name...}", s.imagePost)
	s.handle("DELETE /images/{name...}", s.imageRemove)
	s.handle("POST /build", s.build)
	s.handle("POST /build/prune", func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, map[string]any{"CachesDeleted": []string{}, "SpaceReclaimed": 0})
	})
}

func (s *Server) images() (*image.Store, error) {
	if s.cfg.Images == nil {
		return nil, errors.New("no image store")
	}
	return s.cfg.Images()
}

func imageSummary(img *image.Image, containers int64) mimage.Summary {
	sum := mimage.Summary{ID: img.ID.String(), RepoTags: nonNilStr(img.RepoTags), RepoDigests: nonNilStr(img.RepoDigests),
		Created: img.Created.Unix(), Size: img.Size, Containers: containers, Labels: img.Config.Config.Labels, SharedSize: -1}
	if img.Parent != "" {
		sum.ParentID = img.Parent.String()
	}
	if sum.Labels == nil {
		sum.Labels = map[string]string{}
	}
	return sum
}

func nonNilStr(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) imageList(w http.ResponseWriter, r *http.Request) error {
	st, err := s.images()
	if err != nil {
		return err
	}
	specs, err := filterArgs(r)
	if err != nil {
		return err
	}
	imgs, err := st.List()
	if err != nil {
		return err
	}
	users := map[string]int64{}
	if vs, err := s.eng.List(r.Context()); err == nil {
		for _, v := range vs {
			users[v.ImageID]++
		}
	}
	all := boolParam(r, "all")
	out := []mimage.Summary{}
	for _, img := range imgs {
		if !all && len(img.RepoTags) == 0 && !hasFilter(specs, "dangling") && s.hasChild(imgs, img) {
			continue
		}
		if !imageMatch(specs, img) {
			continue
		}
		out = append(out, imageSummary(refTags(specs, img), users[img.ID.String()]))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) hasChild(imgs []*image.Image, img *image.Image) bool {
	for _, o := range imgs {
		if o.Parent == img.ID {
			return true
		}
	}
	return false
}

func hasFilter(specs []string, key string) bool {
	for _, sp := range specs {
		if strings.HasPrefix(sp, key+"=") {
			return true
		}
	}
	return false
}

// imageMatch applies reference, dangling and label filters.
func imageMatch(specs []string, img *image.Image) bool {
	f := filters.Parse(specs)
	return f.Labels(img.Config.Config.Labels) &&
		f.Any("dangling", func(v string) bool { return (v == "true") == (len(img.RepoTags) == 0) }) &&
		f.Any("reference", func(v string) bool {
			return slices.ContainsFunc(img.RepoTags, func(t string) bool { return refMatch(v, t) })
		})
}

func matchGlob(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return false
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1:] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(pattern, "*") || s == ""
}

// imageByName routes GET /images/{name}/json and /images/{name}/history
// (names have slashes, so the suffix decides).
func (s *Server) imageByName(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := hostPlatformParam(r, "platform"); err != nil {
		return err
	}
	switch {
	case strings.HasSuffix(name, "/json"):
		return s.imageInspect(w, r, strings.TrimSuffix(name, "/json"))
	case strings.HasSuffix(name, "/history"):
		return s.imageHistory(w, r, strings.TrimSuffix(name, "/history"))
	case strings.HasSuffix(name, "/get"):
		r.URL.RawQuery = "names=" + strings.TrimSuffix(name, "/get")
		return s.imageSave(w, r)
	}
	return notFound("page not found")
}

func (s *Server) getImage(name string) (*image.Store, *image.Image, error) {
	st, err := s.images()
	if err != nil {
		return nil, nil, err
	}
	img, err := st.Get(name)
	if err != nil {
		if errors.Is(err, image.ErrNotFound) {
			return nil, nil, notFound("No such image: %s", name)
		}
		return nil, nil, err
	}
	return st, img, nil
}

func (s *Server) imageInspect(w http.ResponseWriter, r *http.Request, name string) error {
	st, img, err := s.getImage(name)
	if err != nil {
		return err
	}
	cfg := img.Config.Config
	doc := mimage.InspectResponse{
		ID: img.ID.String(), RepoTags: nonNilStr(img.RepoTags), RepoDigests: nonNilStr(img.RepoDigests),
		Created: img.Created.UTC().Format(time.RFC3339Nano), Author: img.Config.Author, Config: &cfg,
		Architecture: img.Config.Architecture, Variant: img.Config.Variant, Os: img.Config.OS, Size: img.Size,
		RootFS:   mimage.RootFS{Type: "layers"},
		Metadata: mimage.Metadata{LastTagTime: img.LastTagTime},
	}
	if h := img.Config.History; len(h) > 0 {
		doc.Comment = h[len(h)-1].Comment
	}
	for _, d := range img.DiffIDs {
		doc.RootFS.Layers = append(doc.RootFS.Layers, d.String())
	}
	doc.GraphDriver = &storage.DriverData{Name: "overlay2", Data: map[string]string{}}
	if img.ChainID != "" {
		if upper, lowers, err := st.Snapshots().Dirs(string(img.ChainID)); err == nil {
			doc.GraphDriver.Data["UpperDir"] = upper
			if len(lowers) > 0 {
				doc.GraphDriver.Data["LowerDir"] = strings.Join(lowers, ":")
			}
		}
	}
	if !versionLess(apiVersion(r), "1.44") {
		return writeJSON(w, http.StatusOK, doc)
	}
	// Older clients read VirtualSize and ContainerConfig too.
	b, _ := json.Marshal(doc)
	var m map[string]any
	json.Unmarshal(b, &m)
	m["VirtualSize"], m["Container"], m["ContainerConfig"], m["DockerVersion"], m["Parent"] = img.Size, "", m["Config"], "", ""
	if img.Parent != "" {
		m["Parent"] = img.Parent.String()
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) imageHistory(w http.ResponseWriter, r *http.Request, name string) error {
	_, img, err := s.getImage(name)
	if err != nil {
		return err
	}
	out := []mimage.HistoryResponseItem{}
	hs := img.Config.History
	for i := len(hs) - 1; i >= 0; i-- {
		h := hs[i]
		item := mimage.HistoryResponseItem{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment, Tags: []string{}}
		if h.Created != nil {
			item.Created = h.Created.Unix()
		}
		if i == len(hs)-1 {
			item.ID, item.Tags = img.ID.String(), nonNilStr(img.RepoTags)
		}
		out = append(out, item)
	}
	if len(out) == 0 {
		out = append(out, mimage.HistoryResponseItem{ID: img.ID.String(), Created: img.Created.Unix(), Size: img.Size, Tags: nonNilStr(img.RepoTags)})
	}
	return writeJSON(w, http.StatusOK, out)
}

// imagePost routes POST /images/{name}/tag and /images/{name}/push.
func (s *Server) imagePost(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	switch {
	case strings.HasSuffix(name, "/tag"):
		return s.imageTag(w, r, strings.TrimSuffix(name, "/tag"))
	case strings.HasSuffix(name, "/push"):
		return s.imagePush(w, r, strings.TrimSuffix(name, "/push"))
	}
	return notFound("page not found")
}

func (s *Server) imageTag(w http.ResponseWriter, r *http.Request, name string) error {
	st, img, err := s.getImage(name)
	if err != nil {
		return err
	}
	repo, tag := r.URL.Query().Get("repo"), r.URL.Query().Get("tag")
	if repo == "" {
		return badRequest("repository name must have at least one component")
	}
	ref := repo
	if tag != "" {
		ref += ":" + tag
	}
	if _, err := image.ParseRef(ref); err != nil {
		return badRequest("invalid reference format: %v", err)
	}
	if err := st.Tag(img.ID.String(), ref); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *Server) imageRemove(w http.ResponseWriter, r *http.Request) error {
	if err := hostPlatformParam(r, "platforms"); err != nil {
		return err
	}
	st, err := s.images()
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	items, err := st.Delete(name, image.DeleteOptions{Force: boolParam(r, "force"), NoPrune: boolParam(r, "noprune")})
	if err != nil {
		if errors.Is(err, image.ErrNotFound) {
			return notFound("No such image: %s", name)
		}
		return err
	}
	out := []mimage.DeleteResponse{}
	for _, it := range items {
		out = append(out, mimage.DeleteResponse{Untagged: it.Untagged, Deleted: it.Deleted})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) imagePrune(w http.ResponseWriter, r *http.Request) error {
	st, err := s.images()
	if err != nil {
		return err
	}
	specs, err := filterArgs(r)
	if err != nil {
		return err
	}
	all := false
	for _, sp := range specs {
		if sp == "dangling=false" || sp == "dangling=0" {
			all = true
		}
	}
	items, n, err := st.Prune(image.PruneOptions{All: all})
	if err != nil {
		return err
	}
	rep := mimage.PruneReport{ImagesDeleted: []mimage.DeleteResponse{}, SpaceReclaimed: uint64(max(n, 0))}
	for _, it := range items {
		rep.ImagesDeleted = append(rep.ImagesDeleted, mimage.DeleteResponse{Untagged: it.Untagged, Deleted: it.Deleted})
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (s *Server) imageSave(w http.ResponseWriter, r *http.Request) error {
	if err := hostPlatformParam(r, "platform"); err != nil {
		return err
	}
	st, err := s.images()
	if err != nil {
		return err
	}
	names := r.URL.Query()["names"]
	if len(names) == 0 {
		return badRequest("no images given")
	}
	for _, n := range names {
		if _, err := st.Get(n); err != nil {
			return notFound("No such image: %s", n)
		}
	}
	w.Header().Set("Content-Type", "application/x-tar")
	if err := st.Save(r.Context(), names, w, image.FormatDockerArchive); err != nil {
		return errWritten
	}
	return nil
}

func (s *Server) imageLoad(w http.ResponseWriter, r *http.Request) error {
	st, err := s.images()
	if err != nil {
		return err
	}
	var prog bytes.Buffer
	names, err := st.Load(r.Context(), r.Body, image.LoadOptions{Progress: &prog})
	if err != nil {
		return badRequest("%v", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	// quiet only drops progress bars (there are none): the names are
	// printed either way, as dockerd does.
	for _, n := range names {
		what := "Loaded image: "
		if strings.HasPrefix(n, "sha256:") {
			what = "Loaded image ID: "
		}
		enc.Encode(map[string]string{"stream": what + n + "\n"})
	}
	return nil
}

// jsonProgress turns the store's progress lines into dockerd's JSON
// message stream ({"status": ...}).
type jsonProgress struct {
	mu   sync.Mutex
	w    io.Writer
	fl   http.Flusher
	part []byte
}

func (p *jsonProgress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.part = append(p.part, b...)
	for {
		i := bytes.IndexAny(p.part, "\r\n")
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(p.part[:i]))
		p.part = p.part[i+1:]
		if line != "" {
			p.emit(map[string]string{"status": line})
		}
	}
	return len(b), nil
}

func (p *jsonProgress) emit(v any) {
	json.NewEncoder(p.w).Encode(v)
	if p.fl != nil {
		p.fl.Flush()
	}
}

func (p *jsonProgress) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emit(map[string]any{"errorDetail": map[string]string{"message": err.Error()}, "error": err.Error()})
}

func newProgress(w http.ResponseWriter) *jsonProgress {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	return &jsonProgress{w: w, fl: fl}
}

// staticKeychain answers every registry with the X-Registry-Auth
// credentials of the request.
type staticKeychain struct{ cfg authn.AuthConfig }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(k.cfg), nil
}

func registryAuth(r *http.Request) (authn.Keychain, error) {
	h := r.Header.Get("X-Registry-Auth")
	if h == "" {
		return nil, nil
	}
	b, err := base64.URLEncoding.DecodeString(h)
	if err != nil {
		if b, err = base64.RawURLEncoding.DecodeString(h); err != nil {
			if b, err = base64.StdEncoding.DecodeString(h); err != nil {
				return nil, badRequest("invalid X-Registry-Auth header: %v", err)
			}
		}
	}
	var ac registry.AuthConfig
	if len(bytes.TrimSpace(b)) > 0 && string(bytes.TrimSpace(b)) != "{}" {
		if err := json.Unmarshal(b, &ac); err != nil {
			return nil, badRequest("invalid X-Registry-Auth header: %v", err)
		}
	}
	if ac.Username == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
		return nil, nil
	}
	return staticKeychain{authn.AuthConfig{Username: ac.Username, Password: ac.Password,
		IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}}, nil
}

func (s *Server) imagePull(w http.ResponseWriter, r *http.Request) error {
	st, err := s.images()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	from, tag := q.Get("fromImage"), q.Get("tag")
	if q.Get("fromSrc") != "" {
		return s.imageImport(w, r)
	}
	if from == "" {
		return badRequest("fromImage is required")
	}
	ref := from
	if tag != "" {
		if strings.HasPrefix(tag, "sha256:") {
			ref += "@" + tag
		} else {
			ref += ":" + tag
		}
	}
	kc, err := registryAuth(r)
	if err != nil {
		return err
	}
	p, err := image.ParsePlatform(q.Get("platform"))
	if err != nil {
		return badRequest("%v", err)
	}
	if _, err := image.ParseRef(ref); err != nil {
		return badRequest("invalid reference format: %v", err)
	}
	prog := newProgress(w)
	refs := []string{ref}
	if repo, err := image.RepoName(ref); err == nil {
		// No tag at all: every tag, as dockerd (pull --all-tags).
		tags, err := st.RemoteTags(r.Context(), repo, false)
		if err != nil {
			prog.fail(err)
			return nil
		}
		refs = refs[:0]
		for _, t := range tags {
			refs = append(refs, repo+":"+t)
		}
	}
	var img *image.Image
	for _, ref := range refs {
		if img, err = st.Pull(r.Context(), ref, image.PullOptions{Platform: p, Keychain: kc, Progress: prog}); err != nil {
			prog.fail(err)
			return nil
		}
	}
	if img == nil {
		prog.fail(fmt.Errorf("repository %s has no tags", from))
		return nil
	}
	prog.emit(map[string]string{"status": "Digest: " + img.Manifest.String()})
	prog.emit(map[string]string{"status": "Status: Downloaded newer image for " + ref})
	return nil
}

func (s *Server) imagePush(w http.ResponseWriter, r *http.Request, name string) error {
	st, err := s.images()
	if err != nil {
		return err
	}
	ref := name
	if tag := r.URL.Query().Get("tag"); tag != "" {
		ref += ":" + tag
	}
	refs := []string{ref}
	if repo, err := image.RepoName(ref); err == nil {
		// No tag at all: every local tag, as dockerd (push --all-tags).
		if refs, err = st.LocalTags(repo); err != nil {
			return err
		}
		if len(refs) == 0 {
			return notFound("An image does not exist locally with the tag: %s", name)
		}
	}
	for _, ref := range refs {
		if _, err := st.Get(ref); err != nil {
			return notFound("No such image: %s", ref)
		}
	}
	kc, err := registryAuth(r)
	if err != nil {
		return err
	}
	prog := newProgress(w)
	for _, ref := range refs {
		if err := st.Push(r.Context(), ref, image.PushOptions{Keychain: kc, Progress: prog}); err != nil {
			prog.fail(err)
			return nil
		}
		img, _ := st.Get(ref)
		if img != nil {
			tag := "latest"
			if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
				tag = ref[i+1:]
			}
			prog.emit(map[string]any{"status": tag + ": digest: " + img.Manifest.String(),
				"aux": map[string]any{"Tag": tag, "Digest": img.Manifest.String()}})
		}
	}
	return nil
}
