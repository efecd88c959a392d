package cgroups

import (
	"fmt"
	"path"
	"strings"
)

// DefaultParent is jinn's own parent cgroup on every hierarchy.
const DefaultParent = "jinn"

// ValidParent checks a configured parent cgroup: a relative path below
// each hierarchy's root, without "..", that is not the root itself.
func ValidParent(parent string) error {
	clean := strings.Trim(path.Clean("/"+parent), "/")
	if parent == "" || clean == "" || clean == "." {
		return fmt.Errorf("cgroup parent %q: must name a cgroup below the hierarchy root", parent)
	}
	if strings.ContainsAny(parent, ":\x00\n") {
		return fmt.Errorf("cgroup parent %q: systemd slices, NUL bytes and newlines are not supported", parent)
	}
	for _, el := range strings.Split(parent, "/") {
		if el == ".." {
			return fmt.Errorf("cgroup parent %q: \"..\" is not allowed", parent)
		}
	}
	return nil
}

// resolvePath turns linux.cgroupsPath into a path relative to each
// hierarchy's root, inside parent. An absolute cgroupsPath must already lie
// under /parent; a relative one is taken under parent. Either way it may
// not climb out with "..": jinn makes cgroups only below its own parent.
func resolvePath(cfg Config) (string, error) {
	parent := path.Clean("/" + cfg.Parent)
	if cfg.Parent == "" {
		parent = "/" + DefaultParent
	}
	if parent == "/" {
		return "", fmt.Errorf("cgroup parent %q: must not be the hierarchy root", cfg.Parent)
	}
	p := cfg.Path
	if p == "" {
		if cfg.Name == "" || strings.ContainsAny(cfg.Name, "/\x00") || cfg.Name == "." || cfg.Name == ".." {
			return "", fmt.Errorf("cgroup name %q: not a valid container id", cfg.Name)
		}
		return strings.TrimPrefix(parent+"/"+cfg.Name, "/"), nil
	}
	if strings.ContainsAny(p, ":\x00") {
		return "", fmt.Errorf("linux.cgroupsPath %q: systemd slices and NUL bytes are not supported; use a path under /%s", p, strings.TrimPrefix(parent, "/"))
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return "", fmt.Errorf("linux.cgroupsPath %q: \"..\" is not allowed; cgroups are made only under /%s", p, strings.TrimPrefix(parent, "/"))
		}
	}
	var full string
	if strings.HasPrefix(p, "/") {
		full = path.Clean(p)
	} else {
		full = path.Clean(parent + "/" + p)
	}
	if !strings.HasPrefix(full, parent+"/") {
		return "", fmt.Errorf("linux.cgroupsPath %q: outside jinn's parent cgroup /%s", p, strings.TrimPrefix(parent, "/"))
	}
	return strings.TrimPrefix(full, "/"), nil
}
