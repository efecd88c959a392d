package engine

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/fsroot"
	"github.com/jinn-containers/jinn/internal/jsonlite"
	"github.com/jinn-containers/jinn/internal/monitor"
	"github.com/jinn-containers/jinn/internal/network"
	"github.com/jinn-containers/jinn/internal/units"
)

// Start starts a container. Without streams it returns once the container
// runs (its monitor holds it); with streams it attaches first, starts, and
// returns the container's exit code when it ends (or 0 on detach).
func (e *Local) Start(ctx context.Context, ref string, a *AttachOptions) (int, error) {
	c := e.earlyContainer(ref)
	if c == nil {
		var err error
		if c, err = e.Lookup(ref); err != nil {
			return 0, err
		}
	}
	early := e.takeEarly(c.ID)
	if early != nil && a == nil {
		// Create was told of an attached start: undo what it began.
		e.endEarly(c, early)
		early = nil
	}
	st := &monitor.State{Status: monitor.StatusCreated}
	if early == nil {
		st = e.liveState(c)
	}
	switch st.Status {
	case StatusDead:
		return 0, deadErr(c, st, "start")
	case monitor.StatusRunning, monitor.StatusRestarting:
		if a != nil {
			return e.attach(ctx, c, a, false)
		}
		return 0, nil
	case monitor.StatusPaused:
		return 0, exitErr(ExitEngine, "cannot start a paused container, try unpause instead")
	case monitor.StatusCreated:
		if st.MonitorPid != 0 {
			// A monitor waits for its start request (its starter died):
			// this CLI asks instead.
			if a != nil {
				return e.attach(ctx, c, a, true)
			}
			return 0, e.requestStart(c)
		}
	}
	var size [2]uint16
	if a != nil && a.Tty && a.Resize != nil {
		// The terminal's size, sent first: into the spec, and on to the
		// monitor as the attach's first resize.
		select {
		case size = <-a.Resize:
			rs := make(chan [2]uint16, 4)
			rs <- size
			go func(from <-chan [2]uint16) {
				for v := range from {
					rs <- v
				}
				close(rs)
			}(a.Resize)
			a.Resize = rs
		default:
		}
	}
	attach := a != nil
	if attach && c.Host.AutoRemove && e.ownNetns(c) {
		if err := e.prepareEarly(c, size, early); err != nil {
			e.Remove(ctx, c.ID, true, true)
			return 0, err
		}
	} else {
		if _, err := e.prepareStart(c, size, false, nil); err != nil {
			if a != nil && c.Host.AutoRemove {
				e.Remove(ctx, c.ID, true, true)
			}
			return 0, err
		}
		if err := e.spawnMonitor(c, !attach); err != nil {
			if c.Host.AutoRemove {
				e.Remove(ctx, c.ID, true, true)
			}
			return 0, err
		}
	}
	if !attach {
		return 0, nil // the monitor recorded the start event
	}
	// Attach before the container runs so no output is missed: the monitor
	// creates and starts it when asked on the attach socket.
	code, err := e.attach(ctx, c, a, true)
	if err != nil && c.Host.AutoRemove {
		e.Remove(ctx, c.ID, true, true)
	}
	return code, err
}

// prepareEarly is prepareStart and spawnMonitor at once, for an attached
// --rm run in a network namespace of its own: the monitor (a Go process
// start) comes up while the bundle is made and the network set up, and
// waits for the start request that attach sends once both are done. Its
// config names neither (a --rm container's monitor has no network
// teardown of its own to run). With s, both were begun by Create
// (earlystart.go). On error the caller removes the container, monitor and
// all.
func (e *Local) prepareEarly(c *Container, size [2]uint16, s *earlyStart) error {
	if s == nil {
		if e.rec() != nil {
			s = e.beginRecorded(c)
		} else {
			monc := make(chan error, 1)
			go func() { monc <- e.spawnMonitor(c, false) }()
			s = &earlyStart{mon: monc}
		}
	}
	netWait, err := e.prepareStart(c, size, true, s.netFn())
	merr := s.monitorErr()
	if err == nil {
		err = netWait()
	}
	if err != nil {
		// The monitor waits for a start that will not come and has made
		// nothing in the runtime, so the runtime cannot end it (remove
		// would retry its kill for seconds): end it here.
		e.endMonitors(c.ID)
		return err // prepareStart left no network
	}
	return merr
}

// endMonitors kills the container's monitors (ours, by pid) and waits
// until they are gone.
func (e *Local) endMonitors(id string) {
	for _, pid := range e.monitorPids(id) {
		if pid != os.Getppid() {
			syscall.Kill(pid, syscall.SIGKILL)
			waitGone(pid, 2*time.Second)
		}
	}
}

// prepareStart writes the bundle: rootfs mounted, netns made, spec written,
// and checks that the command can run (docker's 126/127). With early (for
// a container in a namespace of its own, see ownNetns) the network may
// still be being set up when it returns; netWait (never nil) waits for it
// and says whether it worked. On error nothing of the network is left.
func (e *Local) prepareStart(c *Container, consoleSize [2]uint16, early bool, netRes func() netResult) (_ func() error, err error) {
	// The network namespace is made (and for a bridge, the veth, address,
	// routes and rules) while the root filesystem is mounted and the
	// command checked: the two are independent, and the network's part
	// is mostly the kernel's waiting. netRes, if given, is that setup
	// begun earlier (its result, read once).
	if err := os.MkdirAll(e.bundleDir(c.ID), 0o700); err != nil {
		if netRes != nil {
			e.undoNetns(c, netRes().path)
		}
		return nil, err
	}
	e.recMkdir(e.bundleDir(c.ID), 0o700)
	if netRes == nil {
		netc := e.setupNet(c)
		if e.rec() != nil {
			// Recorded: the network's steps before the rootfs's.
			r := <-netc
			netRes = func() netResult { return r }
		} else {
			netRes = onceNet(netc)
		}
	}
	var once sync.Once
	var res netResult
	netWait := func() error {
		once.Do(func() {
			res = netRes()
			if res.err != nil {
				e.undoNetns(c, res.path)
				res.err = &ExitError{Code: ExitEngine, Err: res.err}
			}
		})
		return res.err
	}
	defer func() {
		if err != nil && netWait() == nil {
			// The rootfs side failed: what the network side made goes,
			// as it would not have been made.
			e.undoNetns(c, res.path)
		}
	}()
	if err := e.mountRootfs(c); err != nil {
		return nil, &ExitError{Code: ExitEngine, Err: err}
	}
	for _, m := range c.Mounts {
		if m.Type == "volume" {
			if err := e.vols.mountVolume(m.Name); err != nil {
				return nil, err
			}
		}
	}
	root := e.rootPath(c)
	user, err := resolveUser(root, c.Config.User)
	if err != nil {
		return nil, exitErr(ExitEngine, "%v", err)
	}
	env := containerEnv(c.Config.Hostname, c.Config.Tty, user.Home, nil, c.Config.Env)
	cwd := c.Config.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	var skip []string
	for _, m := range c.Mounts {
		skip = append(skip, m.Destination)
	}
	r, err := fsroot.Open(root)
	if err != nil {
		return nil, err
	}
	err = checkExecutable(r, c.Path, cwd, env, skip)
	r.Close()
	if err != nil {
		var ee *ExitError
		if ok := asExit(err, &ee); ok {
			return nil, &ExitError{Code: ee.Code, Err: fmt.Errorf("failed to create task for container: %w", ee.Err)}
		}
		return nil, err
	}
	netns := e.netnsPath(c.ID)
	if !early {
		if err := netWait(); err != nil {
			return nil, err
		}
		netns = res.path
	}
	in := &specInput{c: c, rootfs: root, user: user, env: env, netns: netns, hostDir: e.netFilesDir(c), consoleSize: consoleSize,
		cgroupParent: e.parentOf(c)}
	if c.Host.Init {
		in.initBin = filepath.Join(filepath.Dir(e.cfg.Self), "jinn-init")
		if _, err := os.Stat(in.initBin); err != nil {
			return nil, exitErr(ExitEngine, "--init: %s not found", in.initBin)
		}
	}
	spec, err := buildSpec(in)
	if err != nil {
		return nil, &ExitError{Code: ExitEngine, Err: err}
	}
	if err := e.applyHostExtras(spec, c, root); err != nil {
		return nil, &ExitError{Code: ExitEngine, Err: err}
	}
	if err := writeJSON(filepath.Join(e.bundleDir(c.ID), "config.json"), spec); err != nil {
		return nil, err
	}
	e.recFile(filepath.Join(e.bundleDir(c.ID), "config.json"), 0o600)
	if hc := c.Config.Healthcheck; hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE" {
		p := *spec.Process
		p.Terminal = false
		p.Args = healthArgs(hc.Test)
		if err := writeJSON(filepath.Join(e.bundleDir(c.ID), "health.json"), &p); err != nil {
			return nil, err
		}
	}
	return netWait, nil
}

func healthArgs(test []string) []string {
	if len(test) == 0 {
		return nil
	}
	switch test[0] {
	case "CMD":
		return test[1:]
	case "CMD-SHELL":
		return []string{"/bin/sh", "-c", strings.Join(test[1:], " ")}
	}
	return test
}

func writeJSON(path string, v any) error {
	b, err := jsonlite.Encode(v)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b, 0o600)
}

func asExit(err error, target **ExitError) bool {
	e, ok := err.(*ExitError)
	if ok {
		*target = e
	}
	return ok
}

// monitorConfig is what the container's monitor is told.
func (e *Local) monitorConfig(c *Container, start bool) *monitor.Config {
	rt := e.runtimeFor(c)
	mc := &monitor.Config{
		ID:          c.ID,
		Name:        c.Name,
		Image:       c.Image,
		Events:      e.events.path,
		EventAttrs:  labelAttrs(c.Config.Labels),
		Runtime:     rt.Path,
		RuntimeArgs: []string{"--root", rt.Root},
		Bundle:      e.bundleDir(c.ID),
		StateDir:    e.stateDir(c.ID),
		LogPath:     c.LogPath,
		Tty:         c.Config.Tty,
		Stdin:       c.Config.OpenStdin,
		Start:       start,
		Restart:     monitor.Restart{Name: c.Host.RestartPolicy.Name, Max: c.Host.RestartPolicy.MaximumRetryCount},
	}
	if m, err := e.containerCgroup(c); err == nil {
		mc.OOMFiles = m.OOMFiles()
	}
	if v := c.Host.LogConfig.Config["max-size"]; v != "" {
		mc.LogMaxSize, _ = units.ParseBytes(v)
	}
	if v := c.Host.LogConfig.Config["max-file"]; v != "" {
		fmt.Sscanf(v, "%d", &mc.LogMaxFiles)
	}
	if hc := c.Config.Healthcheck; hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE" {
		h := &monitor.Health{Test: hc.Test, Interval: hc.Interval, Timeout: hc.Timeout, StartPeriod: hc.StartPeriod, Retries: hc.Retries,
			StartInterval: hc.StartInterval}
		if h.Interval <= 0 {
			h.Interval = 30 * time.Second
		}
		if h.Timeout <= 0 {
			h.Timeout = 30 * time.Second
		}
		if h.Retries <= 0 {
			h.Retries = 3
		}
		mc.Health = h
	}
	if c.Host.AutoRemove {
		mc.Cleanup = []string{e.cfg.Self, "--root", e.cfg.Root, "--runroot", e.cfg.RunRoot, "rm", "-f", "-v", c.ID}
	} else if c.Host.NetworkMode != "none" && c.Host.NetworkMode != "host" {
		// Stopped or crashed for good: its veth, address and rules go.
		mc.OnExit = []string{e.cfg.Self, "--root", e.cfg.Root, "network", "teardown", "--generation", e.netGeneration(c), c.ID}
	}
	return mc
}

// spawnMonitor starts the container's monitor, detached in its own
// session, and waits for its word that the runtime's create (and start,
// when start) worked.
func (e *Local) spawnMonitor(c *Container, start bool) error {
	await, err := e.startMonitor(c, start)
	if err != nil {
		return err
	}
	return await()
}

// startMonitor is spawnMonitor up to the monitor's start; await waits for
// its word. A recorded run (beginRecorded) awaits it only where Start
// needs it, so that the replay overlaps the monitor's start with the
// snapshot and its mount.
func (e *Local) startMonitor(c *Container, start bool) (await func() error, err error) {
	sd := e.stateDir(c.ID)
	os.Remove(filepath.Join(sd, monitor.StopMarker))
	e.rec().Op("unlink", filepath.Join(sd, monitor.StopMarker))
	if start {
		e.markRan(c)
	} else {
		// The container runs only once asked (attach's start request,
		// after the monitor's word): its marker (a new inode under --root,
		// not cheap on a busy file system) waits until the monitor is on
		// its way.
		defer func() {
			if err != nil {
				e.markRan(c)
			}
		}()
	}
	mc := e.monitorConfig(c, start)
	cfgPath := filepath.Join(sd, monitor.ConfigFile)
	// The state first: a monitor config without a state reads as damaged
	// (dead), and a CLI killed between the two must leave it created.
	if _, err := monitor.UpdateState(sd, func(s *monitor.State) {
		restarts := s.RestartCount
		*s = monitor.State{Status: monitor.StatusCreated, RestartCount: restarts}
	}); err != nil {
		return nil, err
	}
	e.rec().Op("create", filepath.Join(sd, "lock"), 0o600) // UpdateState's lock file
	e.recFile(filepath.Join(sd, monitor.StateFile), 0o600)
	if err := monitor.WriteConfig(cfgPath, mc); err != nil {
		return nil, err
	}
	e.recFile(cfgPath, 0o600)
	syncR, syncW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		syncR.Close()
		syncW.Close()
		return nil, err
	}
	defer devnull.Close()
	bin := e.monitorBinary(mc)
	// The monitor's own messages (and Go's crash dumps) go to monitor.log.
	mlog, err := os.OpenFile(filepath.Join(sd, "monitor.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		syncR.Close()
		syncW.Close()
		return nil, err
	}
	defer mlog.Close()
	// syscall's fork and exec, not os/exec's: a process's first os/exec
	// start probes pidfd support by forking a child that exits at once,
	// on the critical path of a run (~0.3-1 ms).
	monPid, _, err := syscall.StartProcess(bin, []string{bin, cfgPath}, &syscall.ProcAttr{
		Dir: "/",
		// The runtime commands' environment (recipe.Runtime.Environ: one P,
		// the seccomp cache), for the monitor too: it runs them with its own.
		Env:   append(e.runtimeFor(c).Environ(), monitor.ParentEnv+"="+strconv.Itoa(os.Getpid())),
		Files: []uintptr{devnull.Fd(), devnull.Fd(), mlog.Fd(), syncW.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	syncW.Close()
	if err != nil {
		syncR.Close()
		return nil, exitErr(ExitEngine, "start monitor %s: %v", bin, err)
	}
	if r := e.rec(); r != nil {
		// fds 0 and 1 /dev/null, 2 monitor.log (appended), 3 the sync
		// pipe; its own session; the environment as given.
		env := append(e.runtimeFor(c).Environ(), monitor.ParentEnv+"="+strconv.Itoa(os.Getpid()))
		r.Op("spawn", bin, cfgPath, filepath.Join(sd, "monitor.log"), strings.Join(env, "\x00"))
		r.KeyStat(bin)
	}
	// Record the monitor at once: a CLI killed from here on leaves a state
	// that names the monitor, and a pid file that names it even when the
	// state is damaged.
	e.writeMonitorPid(c.ID, monPid)
	monitor.UpdateState(sd, func(s *monitor.State) {
		if s.MonitorPid == 0 {
			s.MonitorPid, s.MonitorStart = monPid, monitor.ProcStart(monPid)
		}
	})
	if e.rec() != nil {
		e.recMonitor(monPid, monitor.ProcStart(monPid))
		e.recFile(filepath.Join(sd, monitorPidFile), 0o600)
		e.recFile(filepath.Join(sd, monitor.StateFile), 0o600)
	}
	return func() error {
		defer syncR.Close()
		if !start {
			defer e.markRan(c)
		}
		line, _ := bufio.NewReader(syncR).ReadString('\n')
		line = strings.TrimSpace(line)
		e.rec().Op("sync") // the monitor's word: "ok", else the run fails
		go func() {        // reap it if it ends while we live
			var ws syscall.WaitStatus
			for {
				if _, err := syscall.Wait4(monPid, &ws, 0, nil); err != syscall.EINTR {
					return
				}
			}
		}()
		if strings.HasPrefix(line, "ok") {
			return nil
		}
		msg := strings.TrimPrefix(line, "error ")
		if msg == "" {
			// The monitor died (kill -9, OOM) after its runtime may have
			// made or even started the container: a failed run must not
			// leave it running unwatched.
			rt := e.runtimeFor(c)
			if _, err := rt.State(c.ID); err == nil {
				e.killUntilExit(c, rt, 5*time.Second)
				rt.Delete(c.ID)
			}
			msg = "monitor exited without a word"
		}
		return runtimeExitError(msg)
	}, nil
}

// runtimeExitError maps a runtime's create/start failure to docker's code.
func runtimeExitError(msg string) error {
	code := ExitEngine
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory") && strings.Contains(msg, `exec: "`):
		code = ExitNotFound
	case strings.Contains(msg, "permission denied") && strings.Contains(msg, `exec: "`):
		code = ExitCannotRun
	}
	return &ExitError{Code: code, Err: fmt.Errorf("OCI runtime create failed: %s", msg)}
}

// ensure specs is used for health process type.
var _ = specs.Process{}

// ownNetns says whether the container gets a network namespace of its own
// (bridge or none), at netnsPath: its spec can name it before it exists.
func (e *Local) ownNetns(c *Container) bool {
	mode, err := network.ParseMode(c.Host.NetworkMode)
	return err == nil && (mode.Kind == network.ModeBridge || mode.Kind == network.ModeNone)
}

// undoNetns removes the network namespace prepareStart made (path), not
// another container's that it joined.
func (e *Local) undoNetns(c *Container, path string) {
	if path != "" && path == e.netnsPath(c.ID) {
		e.removeNetns(c)
	}
}
