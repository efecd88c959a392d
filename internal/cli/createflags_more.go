package cli

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
	"github.com/jinn-containers/jinn/internal/units"
)

// moreFlags are run/create's namespace, /dev/shm, sysctl, group, DNS,
// image-pull and CFS flags.
type moreFlags struct {
	cidfile, pull, platform, shmSize, domainname, pid, ipc, uts, cpusetMems string
	quiet                                                                   bool
	labelFiles, sysctls, groupAdd, volumesFrom, dnsOptions                  []string
	devices, deviceRules, attach, annotations, links                        []string
	gpus, userns, cgroupns, healthStartInterval, mac, cgroupParent          string
	cpuPeriod, cpuQuota, memorySwappiness                                   int64
}

func (f *moreFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.cidfile, "cidfile", "", "Write the container ID to the file")
	fs.StringVar(&f.pull, "pull", "missing", `Pull image before running ("always", "missing", "never")`)
	fs.StringVar(&f.platform, "platform", "", "Set platform if server is multi-platform capable")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "Suppress the pull output")
	fs.StringVar(&f.shmSize, "shm-size", "", "Size of /dev/shm")
	fs.StringVar(&f.domainname, "domainname", "", "Container NIS domain name")
	fs.StringVar(&f.pid, "pid", "", "PID namespace to use")
	fs.StringVar(&f.ipc, "ipc", "", "IPC mode to use")
	fs.StringVar(&f.uts, "uts", "", "UTS namespace to use")
	stringArrayVar(fs, &f.labelFiles, "label-file", nil, "Read in a line delimited file of labels")
	stringArrayVar(fs, &f.sysctls, "sysctl", nil, "Sysctl options")
	stringArrayVar(fs, &f.groupAdd, "group-add", nil, "Add additional groups to join")
	stringArrayVar(fs, &f.volumesFrom, "volumes-from", nil, "Mount volumes from the specified container(s)")
	stringArrayVar(fs, &f.dnsOptions, "dns-option", nil, "Set DNS options")
	fs.Int64Var(&f.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	fs.Int64Var(&f.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	fs.StringVar(&f.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	fs.Int64Var(&f.memorySwappiness, "memory-swappiness", -1, "Tune container memory swappiness (0 to 100)")
	stringArrayVar(fs, &f.devices, "device", nil, "Add a host device to the container")
	stringArrayVar(fs, &f.deviceRules, "device-cgroup-rule", nil, "Add a rule to the cgroup allowed devices list")
	fs.StringVar(&f.gpus, "gpus", "", "GPU devices to add to the container ('all' to pass all GPUs)")
	stringArrayVarP(fs, &f.attach, "attach", "a", nil, "Attach to STDIN, STDOUT or STDERR")
	stringArrayVar(fs, &f.links, "link", nil, "Add link to another container")
	fs.StringVar(&f.mac, "mac-address", "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
	// Shadows jinn's global --cgroup-parent (every container of the
	// engine): after run/create it is this container's, as in docker.
	fs.StringVar(&f.cgroupParent, "cgroup-parent", "", "Optional parent cgroup for the container")
	stringArrayVar(fs, &f.annotations, "annotation", nil, "Add an annotation to the container (passed through to the OCI runtime)")
	fs.StringVar(&f.userns, "userns", "", "User namespace to use")
	fs.StringVar(&f.healthStartInterval, "health-start-interval", "", "Time between running the check during the start period (ms|s|m|h) (default 0s)")
	fs.StringVar(&f.cgroupns, "cgroupns", "", `Cgroup namespace to use (host|private)
'host':    Run the container in the host's cgroup namespace
'private': Run the container in its own private cgroup namespace
'':        Use jinn's default, the host's (default)`)
}

// apply checks the flags into o, after the other create flags.
func (f *moreFlags) apply(o *engine.CreateOptions) error {
	h, cc := &o.Host, &o.Config
	switch f.pull {
	case "always", "missing", "never":
	default:
		return badFlag("invalid pull option: '%s': must be one of \"always\", \"missing\" or \"never\"", f.pull)
	}
	if f.shmSize != "" {
		n, err := units.ParseBytes(f.shmSize)
		if err != nil || n <= 0 {
			return badFlag("invalid argument %q for \"--shm-size\" flag: invalid size: '%s'", f.shmSize, f.shmSize)
		}
		h.ShmSize = n
	}
	cc.Domainname = f.domainname
	if f.pid != "" && f.pid != "host" && !validContainerMode(f.pid) {
		return badFlag("--pid: invalid PID mode")
	}
	switch f.ipc {
	case "", "private", "shareable", "host", "none":
	default:
		if !validContainerMode(f.ipc) {
			return badFlag("--ipc: invalid IPC mode")
		}
	}
	if f.uts != "" && f.uts != "host" {
		return badFlag("--uts: invalid UTS mode")
	}
	h.PidMode, h.IpcMode, h.UTSMode = f.pid, f.ipc, f.uts
	if f.uts == "host" && cc.Hostname != "" {
		return badFlag("Conflicting options: hostname and the UTS mode")
	}
	for _, s := range f.sysctls {
		k, v, err := validSysctl(s, h)
		if err != nil {
			return err
		}
		if h.Sysctls == nil {
			h.Sysctls = map[string]string{}
		}
		h.Sysctls[k] = v
	}
	h.GroupAdd, h.DNSOptions = f.groupAdd, f.dnsOptions
	for _, v := range f.volumesFrom {
		ref, mode, _ := strings.Cut(v, ":")
		if ref == "" || mode != "" && mode != "ro" && mode != "rw" {
			return badFlag("invalid mode for volumes-from: %s", v)
		}
	}
	h.VolumesFrom = f.volumesFrom
	for _, file := range f.labelFiles {
		lines, err := readLineFile(file)
		if err != nil {
			return badFlag("%v", err)
		}
		for _, l := range lines {
			k, v, _ := strings.Cut(l, "=")
			if cc.Labels == nil {
				cc.Labels = map[string]string{}
			}
			if _, set := cc.Labels[k]; !set { // --label wins
				cc.Labels[k] = v
			}
		}
	}
	if f.healthStartInterval != "" {
		d, err := time.ParseDuration(f.healthStartInterval)
		if err != nil || d < 0 {
			return badFlag("invalid argument %q for \"--health-start-interval\" flag: time: invalid duration %q", f.healthStartInterval, f.healthStartInterval)
		}
		if d != 0 && d < time.Millisecond {
			return badFlag("--health-start-interval cannot be less than 1ms")
		}
		if cc.Healthcheck == nil {
			cc.Healthcheck = &engine.Healthcheck{} // tunes the image's check
		}
		cc.Healthcheck.StartInterval = d
	}
	if f.gpus != "" {
		// No GPU runtime hook (nvidia-container-runtime) is wired into jinn.
		return badFlag("could not select device driver \"\" with capabilities: [[gpu]]")
	}
	for _, d := range f.devices {
		m, err := parseDevice(d)
		if err != nil {
			return err
		}
		h.Devices = append(h.Devices, m)
	}
	for _, r := range f.deviceRules {
		if _, err := engine.ParseDeviceCgroupRule(r); err != nil {
			return badFlag("%v", err)
		}
	}
	h.DeviceCgroupRules = f.deviceRules
	for _, a := range f.attach {
		switch strings.ToLower(a) {
		case "stdin", "stdout", "stderr":
		default:
			return badFlag("invalid argument %q for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR", a)
		}
	}
	var err error
	if h.Annotations, err = keyValues("annotation", f.annotations); err != nil {
		return err
	}
	for _, l := range f.links {
		name, alias, _ := strings.Cut(l, ":")
		if name == "" || strings.Contains(alias, ":") {
			return badFlag("invalid argument %q for \"--link\" flag: bad format for links: %s", l, l)
		}
	}
	h.Links = f.links
	if f.mac != "" {
		hw, err := net.ParseMAC(f.mac)
		if err != nil || len(hw) != 6 {
			return badFlag("%s is not a valid mac address", f.mac)
		}
		if hw[0]&1 != 0 {
			return badFlag("%s is a multicast address, not a valid container mac address", f.mac)
		}
		h.MacAddress = hw.String()
	}
	if f.userns != "" && f.userns != "host" {
		return badFlag("--userns: invalid USER mode")
	}
	if f.cgroupns != "" && f.cgroupns != "host" && f.cgroupns != "private" {
		return badFlag("--cgroupns: invalid CGROUP mode")
	}
	h.UsernsMode, h.CgroupnsMode = f.userns, f.cgroupns
	if f.cgroupParent != "" {
		if err := cgroups.ValidParent(f.cgroupParent); err != nil {
			return badFlag("%v", err)
		}
		h.CgroupParent = f.cgroupParent
	}
	x := &h.ResourceExtras
	x.CPUPeriod, x.CPUQuota, x.CpusetMems = f.cpuPeriod, f.cpuQuota, f.cpusetMems
	if f.memorySwappiness != -1 {
		v := f.memorySwappiness
		x.MemorySwappiness = &v
	}
	if err := x.Check(h.NanoCpus); err != nil {
		return badFlag("%v", err)
	}
	return nil
}

func validContainerMode(m string) bool {
	ref, ok := strings.CutPrefix(m, "container:")
	return ok && ref != ""
}

// validSysctl is docker's check: only namespaced sysctls, and not those
// of a namespace shared with the host.
func validSysctl(s string, h *engine.HostConfig) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", badFlag("sysctl '%s' is not allowed", s)
	}
	ipc := map[string]bool{"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
		"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true}
	switch {
	case ipc[k] || strings.HasPrefix(k, "fs.mqueue."):
		if h.IpcMode == "host" {
			return "", "", badFlag("sysctl %q is not allowed in host IPC namespace", k)
		}
	case strings.HasPrefix(k, "net."):
		if h.NetworkMode == "host" {
			return "", "", badFlag("sysctl %q is not allowed in host network namespace", k)
		}
	case k == "kernel.domainname" || k == "kernel.hostname":
		if h.UTSMode == "host" {
			return "", "", badFlag("sysctl %q is not allowed in host UTS namespace", k)
		}
	default:
		return "", "", badFlag("sysctl '%s' is not allowed", s)
	}
	return k, v, nil
}

// readLineFile reads a --label-file: one entry a line, # comments.
func readLineFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// prepare is what run and create do before the engine's create: the
// --cidfile must not exist yet, and the image is pulled as --pull says
// (docker's default: when it is missing), for --platform.
func (f *moreFlags) prepare(c *cobra.Command, o *Options, opts *engine.CreateOptions) error {
	if f.cidfile != "" {
		if _, err := os.Stat(f.cidfile); err == nil {
			return badFlag("Container ID file found, make sure the other container isn't running or delete %s", f.cidfile)
		}
	}
	plat, err := image.ParsePlatform(f.platform)
	if err != nil {
		return badFlag("%v", err)
	}
	if opts.Rootfs != "" {
		return nil
	}
	st, err := openImageStore(o)
	if err != nil {
		return err
	}
	img, err := st.GetConfig(opts.Image)
	missing := image.IsNotFound(err)
	if err != nil && !missing {
		return err
	}
	if f.pull == "never" || (f.pull == "missing" && !missing) {
		if !missing && f.platform != "" && (img.Config.OS != plat.OS || img.Config.Architecture != plat.Architecture) {
			return &engine.ExitError{Code: engine.ExitEngine, Err: fmt.Errorf("image with reference %s was found but its platform (%s/%s) does not match the specified platform (%s/%s)",
				opts.Image, img.Config.OS, img.Config.Architecture, plat.OS, plat.Architecture)}
		}
		if !missing { // not pulled: the engine's lookup takes this one
			o.found = foundImage{opts.Image, img}
		}
		return nil // the engine reports a missing image
	}
	var prog io.Writer
	if !f.quiet {
		prog = c.ErrOrStderr()
		if missing {
			name := opts.Image
			if n, err := image.ParseRef(opts.Image); err == nil {
				name = image.Familiar(n.String())
			}
			fmt.Fprintf(prog, "Unable to find image '%s' locally\n", name)
		}
	}
	ctx, stop := interruptible(c)
	defer stop()
	if _, err := st.Pull(ctx, opts.Image, image.PullOptions{Platform: plat, Progress: prog}); err != nil {
		return &engine.ExitError{Code: engine.ExitEngine, Err: err}
	}
	return nil
}

// created writes --cidfile.
func (f *moreFlags) created(id string) error {
	if f.cidfile == "" {
		return nil
	}
	if err := os.WriteFile(f.cidfile, []byte(id), 0o644); err != nil {
		return fmt.Errorf("failed to write the container ID to the file: %w", err)
	}
	return nil
}

// parseDevice is docker's --device HOST[:CONTAINER][:PERMISSIONS].
func parseDevice(s string) (engine.DeviceMapping, error) {
	d := engine.DeviceMapping{CgroupPermissions: "rwm"}
	arr := strings.Split(s, ":")
	switch len(arr) {
	case 3:
		if !validDeviceMode(arr[2]) {
			return d, badFlag("invalid device mode: %s", arr[2])
		}
		d.CgroupPermissions, d.PathInContainer = arr[2], arr[1]
	case 2:
		if validDeviceMode(arr[1]) {
			d.CgroupPermissions = arr[1]
		} else {
			d.PathInContainer = arr[1]
		}
	case 1:
	default:
		return d, badFlag("invalid device specification: %s", s)
	}
	d.PathOnHost = arr[0]
	if d.PathInContainer == "" {
		d.PathInContainer = d.PathOnHost
	}
	if !strings.HasPrefix(d.PathOnHost, "/") || !strings.HasPrefix(d.PathInContainer, "/") {
		return d, badFlag("invalid device specification: %s: paths must be absolute", s)
	}
	if _, err := os.Stat(d.PathOnHost); err != nil {
		return d, badFlag("error gathering device information while adding custom device %q: no such file or directory", d.PathOnHost)
	}
	return d, nil
}

func validDeviceMode(m string) bool {
	if m == "" {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range m {
		if (c != 'r' && c != 'w' && c != 'm') || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// attached is run's -a: which of the streams the CLI attaches to.
func (f *moreFlags) attached(stream string) bool {
	if len(f.attach) == 0 {
		return stream != "stdin"
	}
	for _, a := range f.attach {
		if strings.EqualFold(a, stream) {
			return true
		}
	}
	return false
}
