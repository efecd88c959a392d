package apiserver

import (
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/engine"
)

// containerFilter is GET /containers/json's filters: id, name, label,
// status, exited, ancestor, network, health, volume. Values of one key
// are alternatives (labels: all must match); keys must all match.
type containerFilter map[string][]string

func newContainerFilter(specs []string) (containerFilter, error) {
	f := containerFilter{}
	for _, s := range specs {
		k, v, _ := strings.Cut(s, "=")
		switch k {
		case "id", "name", "label", "status", "exited", "ancestor", "network", "health", "volume", "is-task":
		default:
			return nil, badRequest("invalid filter '%s'", k)
		}
		if k == "status" {
			switch v {
			case "created", "restarting", "running", "removing", "paused", "exited", "dead":
			default:
				return nil, badRequest("invalid filter 'status=%s'", v)
			}
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

func (f containerFilter) has(k string) bool { return len(f[k]) > 0 }

func (f containerFilter) match(v *engine.View) bool {
	for k, vals := range f {
		if k == "label" {
			// dockerd: every label filter must match.
			for _, want := range vals {
				if !f.one(k, want, v) {
					return false
				}
			}
			continue
		}
		ok := false
		for _, want := range vals {
			if f.one(k, want, v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (f containerFilter) one(k, want string, v *engine.View) bool {
	switch k {
	case "id":
		return strings.HasPrefix(v.ID, want)
	case "name":
		return strings.Contains(v.Name, strings.TrimPrefix(want, "/"))
	case "label":
		lk, lv, hasVal := strings.Cut(want, "=")
		got, ok := v.Config.Labels[lk]
		return ok && (!hasVal || got == lv)
	case "status":
		return v.State.Status == want
	case "exited":
		n, err := strconv.Atoi(want)
		return err == nil && v.State.Status == "exited" && v.State.ExitCode == n
	case "ancestor":
		return v.Image == want || normalizeImage(v.Image) == normalizeImage(want) || strings.HasPrefix(v.ImageID, want) ||
			strings.HasPrefix(strings.TrimPrefix(v.ImageID, "sha256:"), want)
	case "network":
		return v.Host.NetworkMode == want
	case "health":
		if v.State.Health == nil {
			return want == "none"
		}
		return v.State.Health.Status == want
	case "volume":
		for _, m := range v.Mounts {
			if m.Name == want || m.Destination == want || m.Source == want {
				return true
			}
		}
		return false
	case "is-task":
		return want == "false"
	}
	return false
}
