package apiserver

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/jinn-containers/jinn/internal/image"
)

// refMatch: tag t is what reference filter v names.
func refMatch(v, t string) bool {
	name := t
	if i := strings.LastIndex(t, ":"); i > strings.LastIndex(t, "/") {
		name = t[:i]
	}
	return t == v || name == v || t == normalizeImage(v) || matchGlob(v, t) || matchGlob(v, name)
}

// refTags are the tags of img a reference filter names, as dockerd lists
// them (an image tagged twice shows only the tags asked for).
func refTags(specs []string, img *image.Image) *image.Image {
	var refs []string
	for _, sp := range specs {
		if v, ok := strings.CutPrefix(sp, "reference="); ok {
			refs = append(refs, v)
		}
	}
	if len(refs) == 0 {
		return img
	}
	cp := *img
	cp.RepoTags = slices.DeleteFunc(slices.Clone(img.RepoTags), func(t string) bool {
		return !slices.ContainsFunc(refs, func(v string) bool { return refMatch(v, t) })
	})
	return &cp
}

// hostPlatformParam refuses a platform query parameter (the API's JSON
// OCI platform, or os/arch) other than the host's: jinn's images are the
// host's, as the CLI's --platform says.
func hostPlatformParam(r *http.Request, param string) error {
	for _, v := range r.URL.Query()[param] {
		if v == "" {
			continue
		}
		var p struct {
			OS           string `json:"os"`
			Architecture string `json:"architecture"`
			Variant      string `json:"variant"`
		}
		if json.Unmarshal([]byte(v), &p) == nil && p.OS != "" {
			v = strings.TrimSuffix(p.OS+"/"+p.Architecture+"/"+p.Variant, "/")
		}
		if err := image.CheckHostPlatform(v); err != nil {
			return badRequest("%v", err)
		}
	}
	return nil
}
