package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// CreateOptions is a container as `jinn create/run` describes it; the CLI
// has parsed and validated every flag into typed fields.
type CreateOptions struct {
	Name          string
	Image         string
	Rootfs        string // --rootfs DIR instead of an image
	Cmd           []string
	Entrypoint    []string
	EntrypointSet bool
	Config        ContainerConfig // User, Env, WorkingDir, Hostname, Labels, Tty, OpenStdin, Stop*, Healthcheck
	Host          HostConfig
	Volumes       []string // -v
	Mounts        []string // --mount
	Tmpfs         []string // --tmpfs
	Runtime       string
}

var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// Create makes a container: its config, name, root filesystem and mounts.
// It starts nothing. Any failure removes what was made.
func (e *Local) Create(ctx context.Context, o *CreateOptions) (_ *Container, err error) {
	if o.Name != "" && !validName.MatchString(o.Name) {
		return nil, exitErr(ExitEngine, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", o.Name)
	}
	rt, err := e.resolveRuntime(o.Runtime)
	if err != nil {
		return nil, err
	}
	var img *Image
	if o.Rootfs == "" {
		img, err = e.images.Get(o.Image)
		if errors.Is(err, ErrImageNotFound) {
			return nil, exitErr(ExitEngine, "Unable to find image '%s' locally: No such image: %s", normalizeRef(o.Image), normalizeRef(o.Image))
		}
		if err != nil {
			return nil, exitErr(ExitEngine, "image %s: %v", o.Image, err)
		}
	} else {
		st, err := os.Stat(o.Rootfs)
		if err != nil || !st.IsDir() {
			return nil, exitErr(ExitEngine, "rootfs %s: not a directory", o.Rootfs)
		}
		o.Rootfs, _ = filepath.Abs(o.Rootfs)
		img = &Image{}
	}

	c := &Container{
		ID:      newID(),
		Created: time.Now().UTC(),
		Image:   o.Image,
		ImageID: img.ID,
		Rootfs:  o.Rootfs,
		Config:  o.Config,
		Host:    o.Host,
		Runtime: rt,
	}
	if c.Image == "" {
		c.Image = o.Rootfs
	}
	mergeImageConfig(c, o, &img.Config)
	if c.Path == "" {
		return nil, exitErr(ExitEngine, "No command specified")
	}
	if c.Config.Hostname == "" {
		c.Config.Hostname = c.ID[:12]
	}
	if c.Host.Runtime == "" {
		c.Host.Runtime = filepath.Base(rt)
	}
	if c.Host.NetworkMode == "" {
		c.Host.NetworkMode = "bridge"
	}
	if err := e.checkNetwork(c, img); err != nil {
		return nil, err
	}
	if c.Host.LogConfig.Type == "" {
		c.Host.LogConfig.Type = "json-file"
	}
	if c.Host.RestartPolicy.Name == "" {
		c.Host.RestartPolicy.Name = "no"
	}
	if c.Host.AutoRemove && c.Host.RestartPolicy.Name != "no" {
		return nil, exitErr(ExitEngine, "Conflicting options: --restart and --rm")
	}
	if c.Mounts, err = e.parseMounts(o, img); err != nil {
		return nil, &ExitError{Code: ExitEngine, Err: err}
	}
	if c.Mounts, err = e.volumesFrom(c.Mounts, c.Host.VolumesFrom); err != nil {
		return nil, err
	}
	if _, err := capabilities(&c.Host); err != nil {
		return nil, &ExitError{Code: ExitEngine, Err: err}
	}

	// Claim the name, then write the record at once: from here on a killed
	// CLI leaves a container that ps lists and rm -f removes.
	if o.Name != "" {
		if err := e.reserveName(o.Name, c.ID); err != nil {
			return nil, err
		}
		c.Name = o.Name
	} else if c.Name, err = e.generateName(c.ID); err != nil {
		return nil, err
	}
	c.LogPath = filepath.Join(e.containerDir(c.ID), c.ID+"-json.log")
	if img.ID != "" {
		c.Snapshot = "jinn-" + c.ID
	}
	defer func() {
		if err != nil {
			e.cleanup(c, true)
		}
	}()
	if err := e.checkLinks(c); err != nil {
		return nil, err
	}
	// The container directory appears whole (config inside) by rename, and
	// its state directory only after: a create killed at any point leaves
	// either nothing that ps lists or a container that rm -f removes.
	tmp := filepath.Join(e.cfg.Root, "containers", ".new-"+c.ID)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(tmp, "config.json"), c); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("write container config: %w", err)
	}
	if err := os.Rename(tmp, e.containerDir(c.ID)); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("write container config: %w", err)
	}
	if err := os.MkdirAll(e.stateDir(c.ID), 0o700); err != nil {
		return nil, err
	}
	if c.Snapshot != "" {
		if _, err := e.images.Prepare(c.Snapshot, img, c.Host.StorageOpt); err != nil {
			return nil, exitErr(ExitEngine, "prepare root filesystem: %v", err)
		}
		if err := e.mountRootfs(c); err != nil {
			return nil, err
		}
	}
	for _, m := range c.Mounts {
		if m.Type == "volume" {
			if _, err := e.vols.Create(m.Name, nil, m.Anonymous); err != nil {
				return nil, err
			}
		}
	}
	e.event(c, "create")
	return c, nil
}

// normalizeRef adds docker's default tag for messages.
func normalizeRef(ref string) string {
	if strings.Contains(ref, "@") {
		return ref
	}
	if i := strings.LastIndex(ref, ":"); i < 0 || strings.Contains(ref[i:], "/") {
		return ref + ":latest"
	}
	return ref
}

// mergeImageConfig applies docker's rules: --entrypoint replaces the
// image's entrypoint and drops its cmd; a command replaces the image's cmd.
func mergeImageConfig(c *Container, o *CreateOptions, ic *ImageConfig) {
	ep, cmd := ic.Entrypoint, ic.Cmd
	if o.EntrypointSet {
		ep, cmd = o.Entrypoint, nil
	}
	if len(o.Cmd) > 0 {
		cmd = o.Cmd
	}
	c.Config.Entrypoint, c.Config.Cmd = ep, cmd
	argv := append(append([]string{}, ep...), cmd...)
	if len(argv) > 0 {
		c.Path, c.Args = argv[0], argv[1:]
	}
	if c.Config.User == "" {
		c.Config.User = ic.User
	}
	if c.Config.WorkingDir == "" {
		c.Config.WorkingDir = ic.WorkingDir
	}
	env := append(append([]string{}, ic.Env...), c.Config.Env...)
	c.Config.Env = env
	if c.Config.StopSignal == "" {
		c.Config.StopSignal = ic.StopSignal
	}
	if c.Config.Healthcheck == nil && ic.Healthcheck != nil {
		c.Config.Healthcheck = ic.Healthcheck
	} else if hc, ih := c.Config.Healthcheck, ic.Healthcheck; hc != nil && len(hc.Test) == 0 && ih != nil {
		// Health flags without --health-cmd tune the image's check.
		hc.Test = ih.Test
		for _, d := range []struct{ own, img *time.Duration }{{&hc.Interval, &ih.Interval}, {&hc.Timeout, &ih.Timeout},
			{&hc.StartPeriod, &ih.StartPeriod}, {&hc.StartInterval, &ih.StartInterval}} {
			if *d.own == 0 {
				*d.own = *d.img
			}
		}
		if hc.Retries == 0 {
			hc.Retries = ih.Retries
		}
	}
	if len(ic.Labels) > 0 {
		l := map[string]string{}
		for k, v := range ic.Labels {
			l[k] = v
		}
		for k, v := range c.Config.Labels {
			l[k] = v
		}
		c.Config.Labels = l
	}
}

// parseMounts turns -v, --mount, --tmpfs and the image's VOLUMEs into mount points.
func (e *Local) parseMounts(o *CreateOptions, img *Image) ([]MountPoint, error) {
	var out []MountPoint
	seen := map[string]bool{}
	add := func(m MountPoint) error {
		if !filepath.IsAbs(m.Destination) {
			return fmt.Errorf("invalid mount config: mount path must be absolute: %q", m.Destination)
		}
		m.Destination = filepath.Clean(m.Destination)
		if seen[m.Destination] {
			return fmt.Errorf("Duplicate mount point: %s", m.Destination)
		}
		seen[m.Destination] = true
		if m.Type == "volume" {
			if m.Name == "" {
				m.Name, m.Anonymous = newID(), true
			}
			if !validName.MatchString(m.Name) {
				return fmt.Errorf("invalid volume name %q", m.Name)
			}
			m.Source = e.vols.dataDir(m.Name)
		}
		if m.Type == "bind" {
			if _, err := os.Stat(m.Source); err != nil {
				return fmt.Errorf("invalid mount config for type \"bind\": bind source path does not exist: %s", m.Source)
			}
		}
		out = append(out, m)
		return nil
	}
	for _, v := range o.Volumes {
		parts := strings.Split(v, ":")
		m := MountPoint{RW: true}
		switch len(parts) {
		case 1:
			m.Type, m.Destination = "volume", parts[0]
		case 2, 3:
			m.Source, m.Destination = parts[0], parts[1]
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
						return nil, fmt.Errorf("invalid mode: %s", parts[2])
					}
				}
			}
		default:
			return nil, fmt.Errorf("invalid volume specification: '%s'", v)
		}
		if m.Source != "" {
			if filepath.IsAbs(m.Source) {
				m.Type = "bind"
			} else {
				m.Type, m.Name, m.Source = "volume", m.Source, ""
			}
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for _, spec := range o.Mounts {
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
				return nil, fmt.Errorf("invalid field '%s' must be a key=value pair", kv)
			}
		}
		switch m.Type {
		case "volume":
			m.Name, m.Source = m.Source, ""
		case "bind":
			if m.Source == "" {
				return nil, fmt.Errorf("invalid mount config for type \"bind\": field Source must not be empty")
			}
		case "tmpfs":
			m.Source = "tmpfs"
			m.Options = strings.Join(append([]string{"nosuid", "nodev", "noexec"}, tmpfsOpts...), ",")
		default:
			return nil, fmt.Errorf("invalid mount type: %q", m.Type)
		}
		if m.Destination == "" {
			return nil, fmt.Errorf("invalid mount config: field Target must not be empty")
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for _, t := range o.Tmpfs {
		dst, opts, _ := strings.Cut(t, ":")
		m := MountPoint{Type: "tmpfs", Source: "tmpfs", Destination: dst, RW: true, Options: "nosuid,nodev,noexec"}
		if opts != "" {
			m.Options = opts
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for v := range img.Config.Volumes {
		if !seen[filepath.Clean(v)] {
			if err := add(MountPoint{Type: "volume", Destination: v, RW: true}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
