package engine

import (
	"context"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// UpdateConfig is docker's update: the resource fields to change (a zero
// field is left as it is, as docker's API has it; PidsLimit nil is left,
// 0 or -1 lifts the limit) and, when not nil, a new restart policy.
type UpdateConfig struct {
	Resources
	RestartPolicy *RestartPolicy
}

// Update changes a container's limits and restart policy: in its cgroup
// now through the runtime's update when it runs, in its bundle so the
// monitor's restarts keep them, and in its config for the next start.
func (e *Local) Update(ctx context.Context, ref string, u *UpdateConfig) error {
	c, unlock, err := e.lockContainer(ref)
	if err != nil {
		return err
	}
	defer unlock()
	h := &c.Host
	if err := mergeUpdate(h, u); err != nil {
		return err
	}
	if u.CPURealtimePeriod != 0 || u.CPURealtimeRuntime != 0 {
		l, err := e.cgroupLayout()
		if err != nil {
			return err
		}
		if err := checkRealtime(h.CPURealtimePeriod, h.CPURealtimeRuntime, l); err != nil {
			return err
		}
		if err := e.checkRealtimeBudget(c); err != nil {
			return err
		}
	}
	st := e.liveState(c)
	if running(st) {
		if err := e.runtimeFor(c).Update(c.ID, updateResources(h, u)); err != nil {
			return exitErr(ExitEngine, "Cannot update container %s: %v", c.ID, err)
		}
		if u.RestartPolicy != nil {
			// The monitor reads its policy again when the container exits.
			path := filepath.Join(e.stateDir(c.ID), monitor.ConfigFile)
			if mc, err := monitor.ReadConfig(path); err == nil {
				mc.Restart = monitor.Restart{Name: h.RestartPolicy.Name, Max: h.RestartPolicy.MaximumRetryCount}
				if err := monitor.WriteConfig(path, mc); err != nil {
					return err
				}
			}
		}
	}
	bundle := filepath.Join(e.bundleDir(c.ID), "config.json")
	var spec specs.Spec
	if readJSON(bundle, &spec) == nil && spec.Linux != nil {
		r := resources(&h.Resources)
		if spec.Linux.Resources != nil {
			r.Devices = spec.Linux.Resources.Devices
		}
		spec.Linux.Resources = r
		if err := writeJSON(bundle, &spec); err != nil {
			return err
		}
	}
	if err := e.writeContainer(c); err != nil {
		return err
	}
	e.event(c, "update")
	return nil
}

// lockContainer finds ref and takes its lock, then reads its config
// again: what a change of the config is made on.
func (e *Local) lockContainer(ref string) (*Container, func(), error) {
	c, err := e.Lookup(ref)
	if err != nil {
		return nil, nil, err
	}
	unlock, err := monitor.Lock(e.stateDir(c.ID))
	if err != nil {
		return nil, nil, err
	}
	if c, err = e.readContainer(c.ID); err != nil {
		unlock()
		return nil, nil, err
	}
	return c, unlock, nil
}

// mergeUpdate lays u over h with docker's checks.
func mergeUpdate(h *HostConfig, u *UpdateConfig) error {
	if u.RestartPolicy != nil && u.RestartPolicy.Name != "no" && u.RestartPolicy.Name != "" && h.AutoRemove {
		return exitErr(ExitEngine, "Restart policy cannot be updated because AutoRemove is enabled for the container")
	}
	if u.Memory != 0 && u.MemorySwap == 0 && h.MemorySwap > 0 && u.Memory > h.MemorySwap {
		return exitErr(ExitEngine, "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
	}
	setIf(&h.Memory, u.Memory)
	setIf(&h.MemorySwap, u.MemorySwap)
	if h.MemorySwap > 0 && h.MemorySwap < h.Memory {
		return exitErr(ExitEngine, "Minimum memoryswap limit should be larger than memory limit, see usage")
	}
	setIf(&h.MemoryReservation, u.MemoryReservation)
	if u.NanoCpus != 0 {
		h.CPUPeriod, h.CPUQuota = 0, 0 // --cpus replaces a CFS pair
	}
	if u.CPUPeriod != 0 || u.CPUQuota != 0 {
		h.NanoCpus = 0
	}
	setIf(&h.NanoCpus, u.NanoCpus)
	setIf(&h.CPUShares, u.CPUShares)
	setIf(&h.CpusetCpus, u.CpusetCpus)
	setIf(&h.CPUPeriod, u.CPUPeriod)
	setIf(&h.CPUQuota, u.CPUQuota)
	setIf(&h.CpusetMems, u.CpusetMems)
	setIf(&h.BlkioWeight, u.BlkioWeight)
	setIf(&h.CPURealtimePeriod, u.CPURealtimePeriod)
	setIf(&h.CPURealtimeRuntime, u.CPURealtimeRuntime)
	if u.PidsLimit != nil {
		v := *u.PidsLimit
		if v < 0 {
			v = 0
		}
		h.PidsLimit = &v
	}
	if u.RestartPolicy != nil {
		h.RestartPolicy = *u.RestartPolicy
		if h.RestartPolicy.Name == "" {
			h.RestartPolicy.Name = "no"
		}
	}
	return nil
}

// updateResources are the limits the runtime's update sets: those u
// changes, as the merged config h has them; a lifted pids limit is -1.
func updateResources(h *HostConfig, u *UpdateConfig) *specs.LinuxResources {
	all := resources(&h.Resources)
	r := &specs.LinuxResources{}
	if u.Memory != 0 || u.MemorySwap != 0 || u.MemoryReservation != 0 {
		r.Memory = all.Memory
	}
	if u.NanoCpus != 0 || u.CPUShares != 0 || u.CpusetCpus != "" || u.CPUPeriod != 0 || u.CPUQuota != 0 || u.CpusetMems != "" ||
		u.CPURealtimePeriod != 0 || u.CPURealtimeRuntime != 0 {
		r.CPU = all.CPU
	}
	if u.PidsLimit != nil {
		v := int64(-1)
		if *u.PidsLimit > 0 {
			v = *u.PidsLimit
		}
		r.Pids = &specs.LinuxPids{Limit: &v}
	}
	if u.BlkioWeight != 0 {
		w := u.BlkioWeight
		r.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	return r
}

// setIf is docker's update rule: a zero value leaves the field as it is.
func setIf[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}
