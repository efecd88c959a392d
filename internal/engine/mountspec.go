package engine

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/jinn-containers/jinn/internal/clip"
)

// parseVolumeSpec parses one -v value: DEST (an anonymous volume),
// NAME:DEST or /SRC:DEST, with :MODE (ro, rw, z, Z, a propagation).
func parseVolumeSpec(v string) (MountPoint, error) {
	parts := strings.Split(v, ":")
	m := MountPoint{RW: true}
	switch len(parts) {
	case 1:
		m.Type, m.Destination = "volume", parts[0]
	case 2, 3:
		m.Source, m.Destination = parts[0], parts[1]
		if m.Source == "" || m.Destination == "" {
			return m, fmt.Errorf("invalid spec: %s: empty section between colons", clip.Line(v))
		}
		if len(parts) == 3 {
			m.Mode = parts[2]
			for _, opt := range strings.Split(parts[2], ",") {
				switch opt {
				case "ro":
					m.RW = false
				case "rw", "z", "Z", "":
				case "private", "rprivate", "shared", "rshared", "slave", "rslave":
					m.Propagation = opt
				default:
					return m, fmt.Errorf("invalid mode: %s", clip.Line(parts[2]))
				}
			}
		}
	default:
		return m, fmt.Errorf("invalid volume specification: '%s'", clip.Line(v))
	}
	if m.Source != "" {
		if filepath.IsAbs(m.Source) {
			m.Type = "bind"
		} else {
			m.Type, m.Name, m.Source = "volume", m.Source, ""
		}
	}
	return m, nil
}

// parseMountSpec parses one --mount value: comma-separated key=value
// fields, docker's keys.
func parseMountSpec(spec string) (MountPoint, error) {
	m := MountPoint{Type: "volume", RW: true}
	var tmpfsOpts []string
	for _, kv := range strings.Split(spec, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch strings.ToLower(k) {
		case "type":
			m.Type = v
		case "source", "src":
			m.Source = v
		case "target", "destination", "dst":
			m.Destination = v
		case "readonly", "ro":
			m.RW = v == "false" || v == "0"
		case "bind-propagation":
			m.Propagation = v
		case "tmpfs-size":
			tmpfsOpts = append(tmpfsOpts, "size="+v)
		case "tmpfs-mode":
			tmpfsOpts = append(tmpfsOpts, "mode="+v)
		case "volume-nocopy", "consistency":
		default:
			return m, fmt.Errorf("invalid field '%s' must be a key=value pair", clip.Line(kv))
		}
	}
	switch m.Type {
	case "volume":
		m.Name, m.Source = m.Source, ""
	case "bind":
		if m.Source == "" {
			return m, fmt.Errorf("invalid mount config for type \"bind\": field Source must not be empty")
		}
		if !filepath.IsAbs(m.Source) {
			// docker's CLI takes a relative bind source from the current
			// directory; the runtime would take it from the bundle.
			abs, err := filepath.Abs(m.Source)
			if err != nil {
				return m, fmt.Errorf("invalid mount config for type \"bind\": %w", err)
			}
			m.Source = abs
		}
	case "tmpfs":
		m.Source = "tmpfs"
		m.Options = strings.Join(append([]string{"nosuid", "nodev", "noexec"}, tmpfsOpts...), ",")
	default:
		return m, fmt.Errorf("invalid mount type: %s", clip.Quote(m.Type))
	}
	if m.Destination == "" {
		return m, fmt.Errorf("invalid mount config: field Target must not be empty")
	}
	return m, nil
}
