package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/units"
)

// updateFlags are docker update's flags, as given.
type updateFlags struct {
	memory, memorySwap, memoryReservation, cpus, cpusetCpus, restart string
	cpusetMems                                                       string
	cpuShares, pidsLimit, cpuPeriod, cpuQuota                        int64
	rtPeriod, rtRuntime                                              int64
	blkioWeight                                                      uint16
}

func newUpdateCmd(o *Options) *cobra.Command {
	var f updateFlags
	c := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			given := false
			c.LocalFlags().VisitAll(func(f *pflag.Flag) { given = given || f.Changed })
			if !given {
				return usageError{fmt.Errorf("you must provide one or more flags when using this command")}
			}
			u, err := f.config(c)
			if err != nil {
				return err
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			return forEach(c, args, func(ref string) error { return e.Update(c.Context(), ref, u) })
		},
	}
	fl := c.Flags()
	fl.Uint16Var(&f.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	fl.Int64Var(&f.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	fl.Int64Var(&f.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	fl.Int64Var(&f.rtPeriod, "cpu-rt-period", 0, "Limit the CPU real-time period in microseconds")
	fl.Int64Var(&f.rtRuntime, "cpu-rt-runtime", 0, "Limit the CPU real-time runtime in microseconds")
	fl.Int64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fl.StringVar(&f.cpus, "cpus", "", "Number of CPUs")
	fl.StringVar(&f.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fl.StringVar(&f.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	fl.StringVarP(&f.memory, "memory", "m", "", "Memory limit")
	fl.StringVar(&f.memoryReservation, "memory-reservation", "", "Memory soft limit")
	fl.StringVar(&f.memorySwap, "memory-swap", "", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	fl.Int64Var(&f.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fl.StringVar(&f.restart, "restart", "", "Restart policy to apply when a container exits")
	return c
}

// config checks the flags into the engine's update.
func (f *updateFlags) config(c *cobra.Command) (*engine.UpdateConfig, error) {
	u := &engine.UpdateConfig{}
	size := sizeFlag
	var err error
	if u.Memory, err = size("memory", f.memory, false); err != nil {
		return nil, err
	}
	if u.Memory > 0 && u.Memory < 6*1024*1024 {
		return nil, badFlag("Minimum memory limit allowed is 6MB")
	}
	if u.MemorySwap, err = size("memory-swap", f.memorySwap, true); err != nil {
		return nil, err
	}
	if u.MemoryReservation, err = size("memory-reservation", f.memoryReservation, false); err != nil {
		return nil, err
	}
	if f.cpus != "" {
		n, err := units.ParseCPUs(f.cpus)
		if err != nil || n == 0 {
			if err == nil {
				err = fmt.Errorf("must be more than 0")
			}
			return nil, badFlag("invalid argument %q for \"--cpus\" flag: %v", f.cpus, err)
		}
		u.NanoCpus = n
	}
	if f.cpuShares < 0 {
		return nil, badFlag("invalid argument %d for \"--cpu-shares\": must not be negative", f.cpuShares)
	}
	u.CPUShares, u.CpusetCpus = f.cpuShares, f.cpusetCpus
	if (f.cpuPeriod != 0 || f.cpuQuota != 0) && u.NanoCpus != 0 {
		return nil, badFlag("Conflicting options: Nano CPUs and CPU Period or CPU Quota cannot both be set")
	}
	if f.cpuPeriod != 0 && (f.cpuPeriod < 1000 || f.cpuPeriod > 1000000) {
		return nil, badFlag("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	}
	if f.cpuQuota > 0 && f.cpuQuota < 1000 {
		return nil, badFlag("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	}
	u.CPUPeriod, u.CPUQuota, u.CpusetMems = f.cpuPeriod, f.cpuQuota, f.cpusetMems
	u.CPURealtimePeriod, u.CPURealtimeRuntime = f.rtPeriod, f.rtRuntime
	if c.Flags().Changed("pids-limit") {
		v := f.pidsLimit
		u.PidsLimit = &v
	}
	if f.blkioWeight != 0 && (f.blkioWeight < 10 || f.blkioWeight > 1000) {
		return nil, badFlag("invalid argument %d for \"--blkio-weight\": range is from 10 to 1000", f.blkioWeight)
	}
	u.BlkioWeight = f.blkioWeight
	if c.Flags().Changed("restart") {
		rp, err := parseRestart(f.restart)
		if err != nil {
			return nil, err
		}
		u.RestartPolicy = &rp
	}
	return u, nil
}

// parseRestart is docker's --restart: no, always, unless-stopped or
// on-failure[:max-retries].
func parseRestart(s string) (engine.RestartPolicy, error) {
	var rp engine.RestartPolicy
	name, max, _ := strings.Cut(s, ":")
	switch name {
	case "no", "always", "unless-stopped":
		if max != "" {
			return rp, badFlag("invalid restart policy: maximum retry count can only be used with 'on-failure'")
		}
	case "on-failure":
		if max != "" {
			n, err := strconv.Atoi(max)
			if err != nil || n < 0 {
				return rp, badFlag("invalid restart policy format: maximum retry count must be an integer")
			}
			rp.MaximumRetryCount = n
		}
	default:
		return rp, badFlag("invalid restart policy format: unknown policy %q", name)
	}
	rp.Name = name
	return rp, nil
}
