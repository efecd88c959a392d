package engine

import (
	"context"
	"slices"
	"strings"
)

// RemoveLink is rm --link /SELF/ALIAS: the container SELF forgets its
// legacy link ALIAS (its hosts entry goes at its next start); no
// container is removed.
func (e *Local) RemoveLink(ctx context.Context, name string) error {
	path := "/" + strings.Trim(name, "/")
	i := strings.LastIndex(path, "/")
	parent, alias := path[:i], path[i+1:]
	if parent == "" {
		return exitErr(ExitEngine, "Conflict, cannot remove the default link name of the container")
	}
	if _, err := e.Lookup(strings.TrimPrefix(parent, "/")); err != nil {
		return exitErr(ExitEngine, "Cannot get parent %s for link name %s", parent, path)
	}
	c, unlock, err := e.lockContainer(strings.TrimPrefix(parent, "/"))
	if err != nil {
		return err
	}
	defer unlock()
	suffix := ":/" + c.Name + "/" + alias
	n := len(c.Host.Links)
	c.Host.Links = slices.DeleteFunc(c.Host.Links, func(l string) bool { return strings.HasSuffix(l, suffix) })
	if len(c.Host.Links) == n {
		return exitErr(ExitEngine, "No such link: %s", path)
	}
	return e.writeContainer(c)
}
