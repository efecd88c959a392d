package cli

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/jinn-containers/jinn/internal/build"
	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
	"github.com/jinn-containers/jinn/internal/units"
)

// buildRunFlags are docker build's flags for the RUN steps' containers
// (limits, hosts, cgroup parent) and those of the classic builder that
// jinn's has no use for or refuses (platform, squash, isolation).
type buildRunFlags struct {
	addHosts, cacheFrom, securityOpt, ulimits          []string
	cgroupParent, cpusetCpus, cpusetMems, memory, swap string
	shmSize, isolation, platform                       string
	cpuPeriod, cpuQuota, cpuShares                     int64
	compress, disableContentTrust, squash              bool
}

func (f *buildRunFlags) register(fs *pflag.FlagSet) {
	stringArrayVar(fs, &f.addHosts, "add-host", nil, `Add a custom host-to-IP mapping ("host:ip")`)
	fs.StringSliceVar(&f.cacheFrom, "cache-from", nil, "Images to consider as cache sources (local images: jinn's layer cache holds every local build's steps)")
	// Shadows jinn's global --cgroup-parent, as run's does.
	fs.StringVar(&f.cgroupParent, "cgroup-parent", "", `Set the parent cgroup for the "RUN" instructions during build`)
	fs.BoolVar(&f.compress, "compress", false, "Compress the build context using gzip (no effect: jinn reads the context in place)")
	fs.Int64Var(&f.cpuPeriod, "cpu-period", 0, "Limit the CPU CFS (Completely Fair Scheduler) period")
	fs.Int64Var(&f.cpuQuota, "cpu-quota", 0, "Limit the CPU CFS (Completely Fair Scheduler) quota")
	fs.Int64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.StringVar(&f.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.StringVar(&f.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	fs.BoolVar(&f.disableContentTrust, "disable-content-trust", true, "Skip image verification")
	fs.StringVar(&f.isolation, "isolation", "", "Container isolation technology")
	fs.StringVarP(&f.memory, "memory", "m", "", "Memory limit")
	fs.StringVar(&f.swap, "memory-swap", "", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	fs.StringVar(&f.platform, "platform", "", "Set platform if server is multi-platform capable")
	fs.StringSliceVar(&f.securityOpt, "security-opt", nil, "Security options")
	fs.StringVar(&f.shmSize, "shm-size", "", `Size of "/dev/shm"`)
	fs.BoolVar(&f.squash, "squash", false, "Squash newly built layers into a single new layer")
	stringArrayVar(fs, &f.ulimits, "ulimit", nil, "Ulimit options")
	for _, n := range []string{"cache-from", "security-opt"} {
		fs.SetAnnotation(n, dockerTypeAnnotation, []string{"strings"})
	}
}

// apply parses the flags into opts; the engine checks the limits as
// run's, the builder the hosts and platform.
func (f *buildRunFlags) apply(o *Options, opts *build.Options, warn io.Writer) error {
	if f.squash {
		return build.ErrSquash
	}
	if err := build.CheckPlatform(f.platform); err != nil {
		return badFlag("%v", err)
	}
	if err := engine.CheckIsolation(f.isolation); err != nil {
		return err
	}
	if err := build.CheckHosts(f.addHosts); err != nil {
		return badFlag("%v", err)
	}
	opts.ExtraHosts = f.addHosts
	if f.cgroupParent != "" {
		if err := cgroups.ValidParent(f.cgroupParent); err != nil {
			return badFlag("%v", err)
		}
		opts.CgroupParent = f.cgroupParent
	}
	if len(f.cacheFrom) > 0 {
		st, err := openImageStore(o)
		if err != nil {
			return err
		}
		for _, ref := range f.cacheFrom {
			if _, err := st.GetConfig(ref); image.IsNotFound(err) {
				fmt.Fprintf(warn, "WARNING: cache source %s is not a local image: ignored\n", ref)
			}
		}
	}
	l := &engine.StepLimits{SecurityOpt: f.securityOpt}
	r := &l.Resources
	r.CPUShares, r.CpusetCpus, r.CPUPeriod, r.CPUQuota, r.CpusetMems = f.cpuShares, f.cpusetCpus, f.cpuPeriod, f.cpuQuota, f.cpusetMems
	var err error
	if r.Memory, err = sizeFlag("memory", f.memory, false); err != nil {
		return err
	}
	if r.MemorySwap, err = sizeFlag("memory-swap", f.swap, true); err != nil {
		return err
	}
	if l.ShmSize, err = sizeFlag("shm-size", f.shmSize, false); err != nil {
		return err
	}
	for _, u := range f.ulimits {
		ul, err := parseUlimit(u)
		if err != nil {
			return err
		}
		r.Ulimits = append(r.Ulimits, ul)
	}
	if err := l.Check(); err != nil {
		return err
	}
	opts.Step = l.Apply
	return nil
}

// sizeFlag is a size flag's value ("" is 0; -1 is unlimited where the
// flag allows it), in docker's words when it is not one.
func sizeFlag(flag, s string, unlimited bool) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if s == "-1" && unlimited {
		return -1, nil
	}
	n, err := units.ParseBytes(s)
	if err != nil || n < 0 {
		return 0, badFlag("invalid argument %q for \"--%s\" flag: invalid size: '%s'", s, flag, s)
	}
	return n, nil
}
