package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/network"
	"github.com/jinn-containers/jinn/internal/units"
)

// createFlags are the flags run and create share.
type createFlags struct {
	name, user, workdir, hostname, entrypoint, rootfs, runtime       string
	env, envFile, volumes, mounts, tmpfs, labels, capAdd, capDrop    []string
	securityOpt, ulimits, logOpts, storageOpts, readBps, writeBps    []string
	tty, interactive, rm, readOnly, privileged, oomKillDisable, init bool
	memory, memorySwap, memoryReservation, cpus, cpusetCpus, restart string
	stopSignal, logDriver                                            string
	network                                                          []string
	cpuShares, pidsLimit                                             int64
	blkioWeight                                                      uint16
	oomScoreAdj, stopTimeout                                         int
	healthCmd, healthInterval, healthTimeout, healthStartPeriod      string
	healthRetries                                                    int
	noHealthcheck                                                    bool
	publish                                                          []string
	net                                                              netFlags
	more                                                             moreFlags
	res                                                              resFlags
	// extraNets are the --network values after the first: joined once
	// the container is created (connectExtra).
	extraNets []netSpec
}

func (f *createFlags) register(fs *pflag.FlagSet) {
	fs.Bool("help", false, "Print usage")
	fs.SetInterspersed(false)
	fs.StringVar(&f.name, "name", "", "Assign a name to the container")
	fs.StringVarP(&f.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	fs.StringVarP(&f.workdir, "workdir", "w", "", "Working directory inside the container")
	fs.StringVarP(&f.hostname, "hostname", "h", "", "Container host name")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	fs.StringVar(&f.rootfs, "rootfs", "", "Run from a plain root filesystem directory instead of an image")
	fs.StringVar(&f.runtime, "runtime", "", "Runtime to use for this container")
	stringArrayVarP(fs, &f.env, "env", "e", nil, "Set environment variables")
	stringArrayVar(fs, &f.envFile, "env-file", nil, "Read in a file of environment variables")
	stringArrayVarP(fs, &f.volumes, "volume", "v", nil, "Bind mount a volume")
	stringArrayVar(fs, &f.mounts, "mount", nil, "Attach a filesystem mount to the container")
	stringArrayVar(fs, &f.tmpfs, "tmpfs", nil, "Mount a tmpfs directory")
	stringArrayVarP(fs, &f.labels, "label", "l", nil, "Set meta data on a container")
	stringArrayVar(fs, &f.capAdd, "cap-add", nil, "Add Linux capabilities")
	stringArrayVar(fs, &f.capDrop, "cap-drop", nil, "Drop Linux capabilities")
	stringArrayVar(fs, &f.securityOpt, "security-opt", nil, "Security Options")
	stringArrayVar(fs, &f.ulimits, "ulimit", nil, "Ulimit options")
	stringArrayVar(fs, &f.logOpts, "log-opt", nil, "Log driver options")
	fs.StringVar(&f.logDriver, "log-driver", "json-file", "Logging driver for the container")
	stringArrayVar(fs, &f.storageOpts, "storage-opt", nil, "Storage driver options for the container")
	stringArrayVar(fs, &f.readBps, "device-read-bps", nil, "Limit read rate (bytes per second) from a device")
	stringArrayVar(fs, &f.writeBps, "device-write-bps", nil, "Limit write rate (bytes per second) to a device")
	fs.BoolVarP(&f.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	fs.BoolVarP(&f.interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	fs.BoolVar(&f.rm, "rm", false, "Automatically remove the container and its associated anonymous volumes when it exits")
	fs.BoolVar(&f.readOnly, "read-only", false, "Mount the container's root filesystem as read only")
	fs.BoolVar(&f.privileged, "privileged", false, "Give extended privileges to this container")
	fs.BoolVar(&f.oomKillDisable, "oom-kill-disable", false, "Disable OOM Killer")
	fs.BoolVar(&f.init, "init", false, "Run an init inside the container that forwards signals and reaps processes")
	fs.StringVarP(&f.memory, "memory", "m", "", "Memory limit")
	fs.StringVar(&f.memorySwap, "memory-swap", "", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	fs.StringVar(&f.memoryReservation, "memory-reservation", "", "Memory soft limit")
	fs.StringVar(&f.cpus, "cpus", "", "Number of CPUs")
	fs.StringVar(&f.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.Int64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Int64Var(&f.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fs.Uint16Var(&f.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable")
	fs.IntVar(&f.oomScoreAdj, "oom-score-adj", 0, "Tune host's OOM preferences (-1000 to 1000)")
	fs.StringVar(&f.restart, "restart", "no", "Restart policy to apply when a container exits")
	fs.StringVar(&f.stopSignal, "stop-signal", "", "Signal to stop the container")
	fs.IntVar(&f.stopTimeout, "stop-timeout", -1, "Timeout (in seconds) to stop a container")
	stringArrayVar(fs, &f.network, "network", nil, "Connect a container to a network")
	fs.SetAnnotation("network", dockerTypeAnnotation, []string{"network"})
	stringArrayVarP(fs, &f.publish, "publish", "p", nil, "Publish a container's port(s) to the host")
	f.net.register(fs)
	f.more.register(fs)
	f.res.register(fs)
	fs.StringVar(&f.healthCmd, "health-cmd", "", "Command to run to check health")
	fs.StringVar(&f.healthInterval, "health-interval", "", "Time between running the check (ms|s|m|h)")
	fs.StringVar(&f.healthTimeout, "health-timeout", "", "Maximum time to allow one check to run (ms|s|m|h)")
	fs.StringVar(&f.healthStartPeriod, "health-start-period", "", "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)")
	fs.IntVar(&f.healthRetries, "health-retries", 0, "Consecutive failures needed to report unhealthy")
	fs.BoolVar(&f.noHealthcheck, "no-healthcheck", false, "Disable any container-specified HEALTHCHECK")
}

// badFlag is an invalid flag value: a usage error (125).
func badFlag(format string, a ...any) error {
	return usageError{fmt.Errorf(format, a...)}
}

// options validates every flag into CreateOptions; nothing is made here.
func (f *createFlags) options(fs *pflag.FlagSet, args []string) (*engine.CreateOptions, error) {
	o := &engine.CreateOptions{Name: f.name, Rootfs: f.rootfs, Runtime: f.runtime, Volumes: f.volumes, Mounts: f.mounts, Tmpfs: f.tmpfs}
	if f.rootfs == "" {
		if len(args) == 0 {
			return nil, badFlag("\"run\" requires at least 1 argument.")
		}
		o.Image, args = args[0], args[1:]
	}
	o.Cmd = args
	if fs.Changed("entrypoint") {
		o.EntrypointSet = true
		if f.entrypoint != "" {
			o.Entrypoint = []string{f.entrypoint}
		}
	}
	cc := &o.Config
	cc.User, cc.WorkingDir, cc.Hostname, cc.Tty, cc.OpenStdin = f.user, f.workdir, f.hostname, f.tty, f.interactive
	for _, file := range f.envFile {
		env, err := readEnvFile(file)
		if err != nil {
			return nil, badFlag("%v", err)
		}
		cc.Env = append(cc.Env, env...)
	}
	cc.Env = append(cc.Env, hostEnv(f.env)...)
	if len(f.labels) > 0 {
		cc.Labels = map[string]string{}
		for _, l := range f.labels {
			k, v, _ := strings.Cut(l, "=")
			cc.Labels[k] = v
		}
	}
	if f.stopSignal != "" {
		cc.StopSignal = f.stopSignal
	}
	if f.stopTimeout >= 0 {
		t := f.stopTimeout
		cc.StopTimeout = &t
	}
	if f.noHealthcheck {
		cc.Healthcheck = &engine.Healthcheck{Test: []string{"NONE"}}
	} else if f.healthCmd != "" {
		hc := &engine.Healthcheck{Test: []string{"CMD-SHELL", f.healthCmd}, Retries: f.healthRetries}
		for _, d := range []struct {
			s   string
			dst *time.Duration
			n   string
		}{{f.healthInterval, &hc.Interval, "interval"}, {f.healthTimeout, &hc.Timeout, "timeout"}, {f.healthStartPeriod, &hc.StartPeriod, "start-period"}} {
			if d.s == "" {
				continue
			}
			v, err := time.ParseDuration(d.s)
			if err != nil || v < 0 {
				return nil, badFlag("invalid argument %q for \"--health-%s\" flag: %v", d.s, d.n, err)
			}
			*d.dst = v
		}
		cc.Healthcheck = hc
	}

	h := &o.Host
	h.AutoRemove, h.ReadonlyRootfs, h.Privileged, h.Init = f.rm, f.readOnly, f.privileged, f.init
	h.CapAdd, h.CapDrop, h.SecurityOpt, h.OomScoreAdj = f.capAdd, f.capDrop, f.securityOpt, f.oomScoreAdj
	h.Binds = f.volumes
	own := network.DefaultNetwork
	if len(f.network) > 0 {
		ns, err := parseNetSpec(f.network[0])
		if err != nil {
			return nil, err
		}
		own = ns.name
	}
	if err := f.net.apply(h, own, f.publish); err != nil {
		return nil, err
	}
	var err error
	parseSize := func(flag, s string) (int64, error) { return sizeFlag(flag, s, flag == "memory-swap") }
	if h.Memory, err = parseSize("memory", f.memory); err != nil {
		return nil, err
	}
	if h.MemorySwap, err = parseSize("memory-swap", f.memorySwap); err != nil {
		return nil, err
	}
	if h.MemoryReservation, err = parseSize("memory-reservation", f.memoryReservation); err != nil {
		return nil, err
	}
	if f.cpus != "" {
		n, err := units.ParseCPUs(f.cpus)
		if err != nil {
			return nil, badFlag("invalid argument %q for \"--cpus\" flag: %v", f.cpus, err)
		}
		h.NanoCpus = n
	}
	h.CPUShares, h.CpusetCpus = f.cpuShares, f.cpusetCpus
	if fs.Changed("pids-limit") {
		v := f.pidsLimit
		h.PidsLimit = &v
	}
	h.BlkioWeight = f.blkioWeight
	for i, spec := range [][]string{f.readBps, f.writeBps} {
		var out []engine.ThrottleDevice
		for _, s := range spec {
			path, rate, ok := strings.Cut(s, ":")
			n, err := units.ParseBytes(rate)
			if !ok || err != nil || !strings.HasPrefix(path, "/dev/") {
				return nil, badFlag("invalid argument %q: bad format for device rate, expected /dev/DEVICE:RATE", s)
			}
			out = append(out, engine.ThrottleDevice{Path: path, Rate: uint64(n)})
		}
		if i == 0 {
			h.BlkioDeviceReadBps = out
		} else {
			h.BlkioDeviceWriteBps = out
		}
	}
	if f.oomKillDisable {
		t := true
		h.OomKillDisable = &t
	}
	for _, u := range f.ulimits {
		ul, err := parseUlimit(u)
		if err != nil {
			return nil, err
		}
		h.Ulimits = append(h.Ulimits, ul)
	}
	// Value checks (log driver and options) are the engine's, for the
	// CLI and the API alike; here strings become typed fields.
	if h.RestartPolicy, err = parseRestart(f.restart); err != nil {
		return nil, err
	}
	h.LogConfig = engine.LogConfig{Type: f.logDriver, Config: map[string]string{}}
	for _, kv := range f.logOpts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, badFlag("invalid key value pair format in log opts: %s", kv)
		}
		h.LogConfig.Config[k] = v
	}
	if len(f.storageOpts) > 0 {
		h.StorageOpt = map[string]string{}
		for _, kv := range f.storageOpts {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, badFlag("invalid storage option %s", kv)
			}
			h.StorageOpt[k] = v
		}
	}
	if err := f.more.apply(o); err != nil {
		return nil, err
	}
	if err := f.res.apply(h); err != nil {
		return nil, err
	}
	// After the flags: a network's own mac-address= outranks --mac-address.
	if f.extraNets, err = networks(h, f.network); err != nil {
		return nil, err
	}
	return o, nil
}

func parseUlimit(s string) (engine.Ulimit, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok {
		return engine.Ulimit{}, badFlag("invalid ulimit argument: %s", s)
	}
	soft, hard, hasHard := strings.Cut(val, ":")
	sv, err := strconv.ParseInt(soft, 10, 64)
	if err != nil {
		return engine.Ulimit{}, badFlag("invalid ulimit argument: %s", s)
	}
	hv := sv
	if hasHard {
		if hv, err = strconv.ParseInt(hard, 10, 64); err != nil {
			return engine.Ulimit{}, badFlag("invalid ulimit argument: %s", s)
		}
	}
	return engine.Ulimit{Name: name, Soft: sv, Hard: hv}, nil
}

// readEnvFile reads an --env-file: NAME=VALUE lines, and NAME alone
// for the variable's value here.
func readEnvFile(path string) ([]string, error) {
	lines, err := readLineFile(path)
	return hostEnv(lines), err
}

// hostEnv is docker's -e and --env-file rule: NAME=VALUE as is, NAME
// alone takes the variable's value here, and is left out when unset.
func hostEnv(kvs []string) []string {
	var out []string
	for _, kv := range kvs {
		if !strings.Contains(kv, "=") {
			v, ok := os.LookupEnv(kv)
			if !ok {
				continue
			}
			kv += "=" + v
		}
		out = append(out, kv)
	}
	return out
}
