package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jinn-containers/jinn/internal/clip"
	"github.com/jinn-containers/jinn/internal/cliplan"
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
	// StartNow says the caller starts the container right after the
	// create (run), and Attached that it attaches to it (run without -d):
	// the engine may begin the start meanwhile (earlystart.go).
	StartNow, Attached bool
}

// validName: [a-zA-Z0-9][a-zA-Z0-9_.-]*, docker's rule for container and
// volume names (a scan: a regexp compiled at package init would cost every
// start of jinn, whatever the command).
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return s != ""
}

// Create makes a container: its config, name, root filesystem and mounts.
// It starts nothing. Any failure removes what was made.
func (e *Local) Create(ctx context.Context, o *CreateOptions) (_ *Container, err error) {
	if err := validate(o); err != nil {
		return nil, err
	}
	if o.Name != "" {
		if err := checkName("container", o.Name); err != nil {
			return nil, &ExitError{Code: ExitEngine, Err: invalidArg{err.Error()}}
		}
	}
	if err := checkResources(&o.Host.Resources); err != nil {
		return nil, &ExitError{Code: ExitEngine, Err: invalidArg{err.Error()}}
	}
	warnings, err := e.checkHostResources(&o.Host)
	if err != nil {
		return nil, err
	}
	if len(warnings) > 0 {
		e.rec().Refuse("warnings") // printed by the CLI, not at a seam
	}
	rt, err := e.resolveRuntime(o.Runtime)
	if err != nil {
		return nil, err
	}
	var img *Image
	if o.Rootfs == "" {
		img, err = e.images.Get(o.Image)
		if errors.Is(err, ErrImageNotFound) {
			return nil, exitErr(ExitEngine, "Unable to find image '%s' locally: No such image: %s", clip.Line(normalizeRef(o.Image)), clip.Line(normalizeRef(o.Image)))
		}
		if err != nil {
			return nil, exitErr(ExitEngine, "image %s: %v", clip.Line(o.Image), err)
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
	c.Warnings = warnings
	if c.Image == "" {
		c.Image = o.Rootfs
	}
	mergeImageConfig(c, o, &img.Config)
	if c.Path == "" {
		return nil, invalid("No command specified")
	}
	if c.Config.Hostname == "" {
		c.Config.Hostname = c.ID[:12]
	}
	if c.Host.Runtime == "" {
		c.Host.Runtime = filepath.Base(rt)
	}
	c.CgroupParent = e.parentOf(c)
	if err := e.checkRealtimeBudget(c); err != nil {
		return nil, err
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
		return nil, invalid("Conflicting options: --restart and --rm")
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
	if c.Host.SecurityOpt, err = embedSeccompProfiles(c.Host.SecurityOpt); err != nil {
		return nil, &ExitError{Code: ExitEngine, Err: err}
	}
	if err := checkSecurityOpts(c.Host.SecurityOpt); err != nil {
		return nil, &ExitError{Code: ExitEngine, Err: err}
	}

	// The container directory is made aside (.new-ID, naming its
	// creator) before the name is claimed, so that a name whose container
	// has no directory of any kind is known stale; then the record is
	// written at once: from here on a killed CLI leaves a container that
	// ps lists and rm -f removes.
	// It appears with its creator's pid inside (made as .new-ID.PID), so
	// prune can tell at once that a killed CLI left it.
	tmp := filepath.Join(e.cfg.Root, "containers", ".new-"+c.ID)
	staging := tmp + "." + strconv.Itoa(os.Getpid())
	if r := e.rec(); r != nil {
		r.Hole(cliplan.HoleID, c.ID)
		r.Hole(cliplan.HoleID12, c.ID[:12])
		r.Hole(cliplan.HoleCreated, c.Created.Format(time.RFC3339Nano))
		r.Hole(cliplan.HolePid, strconv.Itoa(os.Getpid()))
	}
	if err := os.MkdirAll(staging, 0o700); err != nil {
		return nil, err
	}
	e.recMkdir(staging, 0o700)
	markCreator(staging)
	e.rec().Op("xattr", staging, creatorXattr, strconv.Itoa(os.Getpid()))
	e.rec().Op("rename", staging, tmp)
	if err := os.Rename(staging, tmp); err != nil {
		os.RemoveAll(staging)
		return nil, err
	}
	if o.Name != "" {
		if err := e.reserveName(o.Name, c.ID); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		c.Name = o.Name
	} else {
		e.rec().Op("words", strings.Join(adjectives, " "), strings.Join(nouns, " "))
		if c.Name, err = e.generateName(c.ID); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		e.rec().Hole(cliplan.HoleName, c.Name)
	}
	c.LogPath = filepath.Join(e.containerDir(c.ID), c.ID+"-json.log")
	if img.ID != "" {
		c.Snapshot = "jinn-" + c.ID
	}
	defer func() {
		if err != nil {
			e.abandonStart(c)
			e.cleanup(c, true)
		}
	}()
	if r := e.rec(); r != nil {
		// What the image brings that the plan's seams do not record:
		// its VOLUMEs (anonymous volumes made and mounted), a health
		// check (health.json and the monitor's checks).
		// A --tmpfs is the runtime's from the spec; anything else mounted
		// is not.
		for _, m := range c.Mounts {
			if m.Type != "tmpfs" {
				r.Refuse("volumes or mounts")
				break
			}
		}
		if hc := c.Config.Healthcheck; hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE" {
			r.Refuse("a health check")
		}
		if c.Host.Init || c.Rootfs != "" {
			r.Refuse("--init or --rootfs")
		}
	}
	if err := e.checkLinks(c); err != nil {
		return nil, err
	}
	// The container directory appears whole (config inside) by rename, and
	// its state directory only after: a create killed at any point leaves
	// either nothing that ps lists or a container that rm -f removes.
	if err := writeJSON(filepath.Join(tmp, "config.json"), c); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("write container config: %w", err)
	}
	e.recFile(filepath.Join(tmp, "config.json"), 0o600)
	if err := os.Rename(tmp, e.containerDir(c.ID)); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("write container config: %w", err)
	}
	e.rec().Op("rename", tmp, e.containerDir(c.ID))
	if err := os.MkdirAll(e.stateDir(c.ID), 0o700); err != nil {
		return nil, err
	}
	e.recMkdir(e.stateDir(c.ID), 0o700)
	if o.StartNow && o.Attached && c.Host.AutoRemove && e.ownNetns(c) {
		e.beginStart(c)
	}
	if c.Snapshot != "" {
		if _, err := e.images.Prepare(c.Snapshot, img, c.Host.StorageOpt, c.Host.AutoRemove); err != nil {
			return nil, exitErr(ExitEngine, "prepare root filesystem: %v", err)
		}
		if err := e.mountRootfs(c); err != nil {
			return nil, err
		}
	}
	if err := e.checkResolvedMounts(c, imageVolumes(c, img)); err != nil {
		return nil, &ExitError{Code: ExitEngine, Err: err}
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
		if err := checkMountDest(m.Destination); err != nil {
			return err
		}
		if seen[m.Destination] {
			return fmt.Errorf("Duplicate mount point: %s", m.Destination)
		}
		seen[m.Destination] = true
		if m.Type == "volume" {
			if m.Name == "" {
				m.Name, m.Anonymous = newID(), true
			}
			if err := checkName("volume", m.Name); err != nil {
				return err
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
		m, err := parseVolumeSpec(v)
		if err != nil {
			return nil, err
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for _, spec := range o.Mounts {
		m, err := parseMountSpec(spec)
		if err != nil {
			return nil, err
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
			if err := checkImageVolume(v, v); err != nil {
				return nil, err
			}
			if err := add(MountPoint{Type: "volume", Destination: v, RW: true}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
