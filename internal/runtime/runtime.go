// Package runtime turns an OCI bundle into a container and drives its
// lifecycle: create, start, state, kill, delete, exec. The parent side
// (these commands) and the container side (Init, in the re-executed binary)
// talk over one socket; sync.go documents the protocol.
package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/cgroups/v2/devfilter"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Runtime is one --root.
type Runtime struct {
	Root string
	Log  *slog.Logger
	// SystemdCgroup takes cgroupsPath as systemd's "slice:prefix:name"
	// for the containers this Runtime creates (runc's --systemd-cgroup).
	SystemdCgroup bool
	// CgroupParent is the cgroup that new containers' cgroups go under
	// ("jinn" if empty). A container keeps the parent it was created
	// with (State.CgroupParent), whatever later commands are given.
	CgroupParent string
}

// cgroupParent is the parent new containers get.
func (r *Runtime) cgroupParent() string {
	if r.CgroupParent == "" {
		return cgroups.DefaultParent
	}
	return r.CgroupParent
}

// LoadSpec reads and checks bundle/config.json.
func LoadSpec(bundle string) (*specs.Spec, error) {
	s, _, _, err := loadSpec(bundle, "")
	return s, err
}

// Load reads and checks o.Bundle's config.json into o.Spec and o.Config,
// keeping what the check compiled for Create.
func (o *CreateOpts) Load() (err error) {
	o.Spec, o.Config, o.seccomp, err = loadSpec(o.Bundle, o.SeccompCache)
	return err
}

// loadSpec also returns the file's bytes: they are passed on and saved as
// they are, which spares encoding the spec again. cache is where the
// compiled seccomp profile is remembered ("" for nowhere).
func loadSpec(bundle, cache string) (*specs.Spec, []byte, *compiledSeccomp, error) {
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil, errors.New("JSON specification file config.json not found")
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read config.json: %w", err)
	}
	var s specs.Spec
	if err := decodeSpec(b, &s); err != nil {
		return nil, nil, nil, fmt.Errorf("parse config.json: %w", err)
	}
	sc, err := validate(&s, bundle, cache)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("invalid config.json: %w", err)
	}
	return &s, b, sc, nil
}

var nsTypes = map[specs.LinuxNamespaceType]bool{
	specs.PIDNamespace: true, specs.NetworkNamespace: true, specs.MountNamespace: true,
	specs.IPCNamespace: true, specs.UTSNamespace: true, specs.UserNamespace: true,
	specs.CgroupNamespace: true, specs.TimeNamespace: true,
}

// validate checks a spec; it returns its seccomp profile compiled.
func validate(s *specs.Spec, bundle, cache string) (*compiledSeccomp, error) {
	if s.Process == nil {
		return nil, errors.New("process is missing")
	}
	if len(s.Process.Args) == 0 {
		return nil, errors.New("process.args is empty")
	}
	if s.Root == nil || s.Root.Path == "" {
		return nil, errors.New("root.path is missing")
	}
	if s.Linux == nil {
		return nil, errors.New("linux is missing")
	}
	absMountDests(s)
	seen := map[specs.LinuxNamespaceType]bool{}
	for _, ns := range s.Linux.Namespaces {
		if !nsTypes[ns.Type] {
			return nil, fmt.Errorf("unknown namespace type %q", ns.Type)
		}
		if seen[ns.Type] {
			return nil, fmt.Errorf("namespace %s given twice", ns.Type)
		}
		seen[ns.Type] = true
	}
	if !seen[specs.MountNamespace] {
		// The container stays in the runtime's mount namespace: what
		// needs a private one cannot be done there (runc refuses it too).
		switch {
		case len(s.Linux.MaskedPaths)+len(s.Linux.ReadonlyPaths) > 0:
			return nil, errors.New("maskedPaths and readonlyPaths need a mount namespace")
		case s.Linux.RootfsPropagation != "":
			return nil, errors.New("rootfsPropagation needs a mount namespace")
		}
	}
	if (s.Hostname != "" || s.Domainname != "") && !seen[specs.UTSNamespace] {
		return nil, errors.New("hostname or domainname needs a uts namespace")
	}
	if (len(s.Linux.UIDMappings) > 0 || len(s.Linux.GIDMappings) > 0) && !seen[specs.UserNamespace] {
		return nil, errors.New("uid/gid mappings need a user namespace")
	}
	if len(s.Linux.TimeOffsets) > 0 && !seen[specs.TimeNamespace] {
		return nil, errors.New("timeOffsets need a time namespace")
	}
	sc, err := validateConfinement(s, cache)
	if err != nil {
		return nil, err
	}
	root := rootfsPath(s, bundle)
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("rootfs %s is not a directory", root)
	}
	return sc, nil
}

// absMountDests makes relative mount destinations absolute: config.md
// lets one be relative "in which case it MUST be interpreted as relative
// to "/"". Both the parent and the init decode the config: both call it.
func absMountDests(s *specs.Spec) {
	for i, m := range s.Mounts {
		if m.Destination != "" && !filepath.IsAbs(m.Destination) {
			s.Mounts[i].Destination = "/" + m.Destination
		}
	}
}

func rootfsPath(s *specs.Spec, bundle string) string {
	if filepath.IsAbs(s.Root.Path) {
		return filepath.Clean(s.Root.Path)
	}
	return filepath.Join(bundle, s.Root.Path)
}

func nsOf(s *specs.Spec, t specs.LinuxNamespaceType) (specs.LinuxNamespace, bool) {
	if s.Linux != nil {
		for _, ns := range s.Linux.Namespaces {
			if ns.Type == t {
				return ns, true
			}
		}
	}
	return specs.LinuxNamespace{}, false
}

// cgroup returns the container's cgroup manager.
func (r *Runtime) cgroup(c *Container) (cgroups.Manager, error) {
	if c.mgr != nil {
		return c.mgr, nil
	}
	s := &c.State
	if rootlessNoCgroup(s.Spec) { // rootless.go
		return nil, nil
	}
	path := ""
	if s.Spec != nil && s.Spec.Linux != nil {
		path = s.Spec.Linux.CgroupsPath
	}
	parent := s.CgroupParent
	if parent == "" {
		parent = cgroups.DefaultParent // a state written before parents were recorded
	}
	// An absolute path is from the mount point (runtime-spec), a relative
	// one under the parent.
	l, err := c.cgroupLayout()
	if err != nil {
		return nil, fmt.Errorf("cgroup of %s: %w", s.ID, err)
	}
	m, err := cgroups.New(cgroups.Config{Path: path, Name: s.ID, Parent: parent, Systemd: s.Systemd, Layout: l,
		DeviceFilter: devfilter.Load})
	if err != nil {
		return nil, fmt.Errorf("cgroup of %s: %w", s.ID, err)
	}
	c.mgr = m
	return m, nil
}

// cgroupLayout is where the host's cgroup hierarchies were when the
// container was made, as its state records them, so that state, kill and
// delete need not look for them again (runc too keeps its cgroup paths in
// its state); a new container, or the state of an older version, finds
// them.
func (c *Container) cgroupLayout() (*cgroups.Layout, error) {
	if c.layout != nil {
		return c.layout, nil
	}
	s := &c.State
	if len(s.CgroupMounts) > 0 {
		c.layout = cgroups.LayoutOf(s.CgroupMounts)
		for _, ctrl := range s.CgroupControllers {
			c.layout.UnifiedControllers[ctrl] = true
		}
		return c.layout, nil
	}
	l, err := cgroups.DetectLayout()
	if err != nil {
		return nil, err
	}
	c.layout = l
	s.CgroupMounts = l.Hierarchies
	s.CgroupControllers = s.CgroupControllers[:0]
	for ctrl := range l.UnifiedControllers {
		s.CgroupControllers = append(s.CgroupControllers, ctrl)
	}
	sort.Strings(s.CgroupControllers)
	return l, nil
}
