package ocicli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/units"
)

func newUpdate(g *Global) *cobra.Command {
	var resources string
	cmd := &cobra.Command{
		Use:   "update [flags] <container-id>",
		Short: "Update a container's resource limits",
		Args:  exactArgs(1, "container id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := &specs.LinuxResources{}
			if resources != "" {
				var err error
				if r, err = readResources(resources); err != nil {
					return err
				}
			}
			if err := updateFlags(cmd, r); err != nil {
				return err
			}
			return g.Runtime().Update(args[0], r)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&resources, "resources", "r", "", `path to a JSON file of linux.resources ("-" for stdin)`)
	f.String("memory", "", "memory limit (in bytes, or with a k, m, g suffix; -1 for none)")
	f.String("memory-swap", "", "memory plus swap limit (-1 for none)")
	f.String("memory-reservation", "", "memory soft limit")
	f.String("kernel-memory-tcp", "", "kernel TCP buffer memory limit")
	f.Uint64("cpu-share", 0, "CPU shares (relative weight)")
	f.Uint64("cpu-shares", 0, "CPU shares (relative weight)")
	f.Int64("cpu-quota", 0, "CPU CFS quota in µs per period (-1 for none)")
	f.Uint64("cpu-period", 0, "CPU CFS period in µs")
	f.Int64("cpu-rt-runtime", 0, "CPU realtime runtime in µs")
	f.Uint64("cpu-rt-period", 0, "CPU realtime period in µs")
	f.String("cpuset-cpus", "", "CPUs to use (0-3, 0,1)")
	f.String("cpuset-mems", "", "memory nodes to use (0-3, 0,1)")
	f.Int64("pids-limit", 0, "maximum number of pids (-1 for none)")
	f.Uint16("blkio-weight", 0, "block I/O weight, 10 to 1000")
	return cmd
}

// readResources reads a linux.resources JSON object from a file or stdin.
func readResources(path string) (*specs.LinuxResources, error) {
	var rd io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open resources file: %w", err)
		}
		defer f.Close()
		rd = f
	}
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	var r specs.LinuxResources
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("parse resources %s: %w", path, err)
	}
	return &r, nil
}

// updateFlags lays the flags the user gave over r.
func updateFlags(cmd *cobra.Command, r *specs.LinuxResources) error {
	f := cmd.Flags()
	mem := func() *specs.LinuxMemory {
		if r.Memory == nil {
			r.Memory = &specs.LinuxMemory{}
		}
		return r.Memory
	}
	cpu := func() *specs.LinuxCPU {
		if r.CPU == nil {
			r.CPU = &specs.LinuxCPU{}
		}
		return r.CPU
	}
	for _, b := range []struct {
		flag string
		dst  func(int64)
	}{
		{"memory", func(v int64) { mem().Limit = &v }},
		{"memory-swap", func(v int64) { mem().Swap = &v }},
		{"memory-reservation", func(v int64) { mem().Reservation = &v }},
		{"kernel-memory-tcp", func(v int64) { mem().KernelTCP = &v }},
	} {
		if !f.Changed(b.flag) {
			continue
		}
		s, _ := f.GetString(b.flag)
		v, err := ParseBytes(s)
		if err != nil {
			return fmt.Errorf("invalid value for --%s: %w", b.flag, err)
		}
		b.dst(v)
	}
	for _, name := range []string{"cpu-share", "cpu-shares"} {
		if f.Changed(name) {
			v, _ := f.GetUint64(name)
			cpu().Shares = &v
		}
	}
	if f.Changed("cpu-quota") {
		v, _ := f.GetInt64("cpu-quota")
		cpu().Quota = &v
	}
	if f.Changed("cpu-period") {
		v, _ := f.GetUint64("cpu-period")
		cpu().Period = &v
	}
	if f.Changed("cpu-rt-runtime") {
		v, _ := f.GetInt64("cpu-rt-runtime")
		cpu().RealtimeRuntime = &v
	}
	if f.Changed("cpu-rt-period") {
		v, _ := f.GetUint64("cpu-rt-period")
		cpu().RealtimePeriod = &v
	}
	if f.Changed("cpuset-cpus") {
		cpu().Cpus, _ = f.GetString("cpuset-cpus")
	}
	if f.Changed("cpuset-mems") {
		cpu().Mems, _ = f.GetString("cpuset-mems")
	}
	if f.Changed("pids-limit") {
		v, _ := f.GetInt64("pids-limit")
		r.Pids = &specs.LinuxPids{Limit: &v}
	}
	if f.Changed("blkio-weight") {
		v, _ := f.GetUint16("blkio-weight")
		if r.BlockIO == nil {
			r.BlockIO = &specs.LinuxBlockIO{}
		}
		r.BlockIO.Weight = &v
	}
	return nil
}

// ParseBytes reads a size as runc takes it: "-1" (unlimited) or a size
// like "1024", "512k", "32m", "1g", "32MiB".
func ParseBytes(s string) (int64, error) {
	if strings.TrimSpace(s) == "-1" {
		return -1, nil
	}
	v, err := units.ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size like 1024, 512k, 32m or 1g", s)
	}
	return v, nil
}
