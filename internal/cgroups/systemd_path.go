package cgroups

import (
	"fmt"
	"strings"
)

// SystemdScopePrefix names jinn's scopes when cgroupsPath is empty
// (runc's is "runc").
const SystemdScopePrefix = "jinn"

// ExpandSystemdPath turns a systemd cgroupsPath "slice:prefix:name" into
// the cgroup path systemd gives the unit, as runc does: the slice (by
// default system.slice) nests by its dashes, and the unit is the scope
// prefix-name.scope, or name itself when name is a slice.
// "system.slice:docker:abc" is /system.slice/docker-abc.scope.
func ExpandSystemdPath(p string) (string, error) {
	parts := strings.Split(p, ":")
	if len(parts) != 3 {
		return "", fmt.Errorf("linux.cgroupsPath %q: expected \"slice:prefix:name\" for systemd cgroups", p)
	}
	slice := parts[0]
	if slice == "" {
		slice = "system.slice"
	}
	dir, err := ExpandSlice(slice)
	if err != nil {
		return "", fmt.Errorf("linux.cgroupsPath %q: %w", p, err)
	}
	unit, err := SystemdUnitName(p)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(dir, "/") + "/" + unit, nil
}

// SystemdUnitName is the unit a systemd cgroupsPath names: prefix-name.scope,
// or name when it is a slice.
func SystemdUnitName(p string) (string, error) {
	parts := strings.Split(p, ":")
	if len(parts) != 3 {
		return "", fmt.Errorf("linux.cgroupsPath %q: expected \"slice:prefix:name\" for systemd cgroups", p)
	}
	prefix, name := parts[1], parts[2]
	if name == "" || strings.ContainsAny(name, "/\x00") || strings.ContainsAny(prefix, "/\x00") {
		return "", fmt.Errorf("linux.cgroupsPath %q: not a valid unit name", p)
	}
	if strings.HasSuffix(name, ".slice") {
		if _, err := ExpandSlice(name); err != nil {
			return "", fmt.Errorf("linux.cgroupsPath %q: %w", p, err)
		}
		return name, nil
	}
	// runc writes "-name.scope" for an empty prefix too.
	return prefix + "-" + name + ".scope", nil
}

// ExpandSlice turns a slice name into its cgroup path: each dash is a
// level, "a-b.slice" is /a.slice/a-b.slice, and "-.slice" is the root.
func ExpandSlice(slice string) (string, error) {
	const suffix = ".slice"
	if len(slice) <= len(suffix) || !strings.HasSuffix(slice, suffix) || strings.ContainsAny(slice, "/\x00") {
		return "", fmt.Errorf("invalid slice name %q", slice)
	}
	name := strings.TrimSuffix(slice, suffix)
	if name == "-" {
		return "/", nil
	}
	var b strings.Builder
	prefix := ""
	for _, c := range strings.Split(name, "-") {
		if c == "" {
			return "", fmt.Errorf("invalid slice name %q", slice)
		}
		b.WriteString("/" + prefix + c + suffix)
		prefix += c + "-"
	}
	return b.String(), nil
}
