package cgroups

import (
	"fmt"
	"os"
	"path"
	"strings"
)

// DefaultParent is jinn's own parent cgroup on every hierarchy.
const DefaultParent = "jinn"

// ParentEnv names the environment variable that sets the default parent
// cgroup of jinn and jinn-runtime. Engines that drive runtimes by runc's
// command line (jinn, containerd, podman) cannot pass an extra flag, but
// their environment reaches the runtime.
const ParentEnv = "JINN_CGROUP_PARENT"

// ParentFromEnv is $JINN_CGROUP_PARENT, else DefaultParent.
func ParentFromEnv() string {
	if v := os.Getenv(ParentEnv); v != "" {
		return v
	}
	return DefaultParent
}

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
// hierarchy's root. As the runtime-spec says, an absolute cgroupsPath is
// taken from the cgroup mount point (kubelet's /kubepods/pod<uid>/<id>
// must land inside its pod); a relative one goes under parent, as does
// the default (parent/name). "slice:prefix:name" is a systemd path only
// with Config.Systemd; without it runc's cgroupfs mode takes it as a
// plain relative path, and so does jinn. No path may climb with "..".
func resolvePath(cfg Config) (string, error) {
	parent := path.Clean("/" + cfg.Parent)
	if cfg.Parent == "" {
		parent = "/" + DefaultParent
	}
	if parent == "/" {
		return "", fmt.Errorf("cgroup parent %q: must not be the hierarchy root", cfg.Parent)
	}
	p := cfg.Path
	if cfg.Systemd {
		if p == "" {
			p = ":" + SystemdScopePrefix + ":" + cfg.Name
		}
		full, err := ExpandSystemdPath(p)
		if err != nil {
			return "", err
		}
		return strings.TrimPrefix(full, "/"), nil
	}
	if p == "" {
		if cfg.Name == "" || strings.ContainsAny(cfg.Name, "/\x00") || cfg.Name == "." || cfg.Name == ".." {
			return "", fmt.Errorf("cgroup name %q: not a valid container id", cfg.Name)
		}
		return strings.TrimPrefix(parent+"/"+cfg.Name, "/"), nil
	}
	if strings.Contains(p, "\x00") {
		return "", fmt.Errorf("linux.cgroupsPath %q: NUL bytes are not allowed", p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return "", fmt.Errorf("linux.cgroupsPath %q: \"..\" is not allowed", p)
		}
	}
	full := path.Clean(parent + "/" + p)
	if strings.HasPrefix(p, "/") {
		full = path.Clean(p)
	}
	if full == "/" {
		return "", fmt.Errorf("linux.cgroupsPath %q: must not be the hierarchy root", p)
	}
	return strings.TrimPrefix(full, "/"), nil
}
