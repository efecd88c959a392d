package cgroups

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// split sorts r's limits by the hierarchy that holds their controller: v1
// where a v1 hierarchy has bound it, cgroup2 otherwise. A limit whose
// controller the host lacks is an error naming the field.
func (m *manager) split(r *specs.LinuxResources) (r1, r2 *specs.LinuxResources, err error) {
	r1, r2 = &specs.LinuxResources{}, &specs.LinuxResources{}
	l := m.layout
	// where returns the resources to fill for a limit on v1ctrl (v1) or
	// v2ctrl (cgroup2; "" means no controller is needed there).
	where := func(field, v1ctrl, v2ctrl string) (*specs.LinuxResources, error) {
		if _, ok := l.V1[v1ctrl]; ok && v1ctrl != "" {
			return r1, nil
		}
		if l.Unified != "" && (v2ctrl == "" && v1ctrl == "devices" || v2ctrl != "" && l.UnifiedControllers[v2ctrl]) {
			return r2, nil
		}
		ctrl := v1ctrl
		if ctrl == "" {
			ctrl = v2ctrl
		}
		return nil, fmt.Errorf("linux.resources.%s: the host has no %s cgroup controller", field, ctrl)
	}
	if r.Memory != nil {
		t, err := where("memory", "memory", "memory")
		if err != nil {
			return nil, nil, err
		}
		t.Memory = r.Memory
	}
	if c := r.CPU; c != nil {
		cpu := *c
		cpu.Cpus, cpu.Mems = "", ""
		if cpu != (specs.LinuxCPU{}) {
			t, err := where("cpu", "cpu", "cpu")
			if err != nil {
				return nil, nil, err
			}
			t.CPU = &cpu
		}
		if c.Cpus != "" || c.Mems != "" {
			t, err := where("cpu.cpus", "cpuset", "cpuset")
			if err != nil {
				return nil, nil, err
			}
			if t.CPU == nil {
				t.CPU = &specs.LinuxCPU{}
			}
			t.CPU.Cpus, t.CPU.Mems = c.Cpus, c.Mems
		}
	}
	if r.Pids != nil {
		t, err := where("pids", "pids", "pids")
		if err != nil {
			return nil, nil, err
		}
		t.Pids = r.Pids
	}
	if r.BlockIO != nil {
		t, err := where("blockIO", "blkio", "io")
		if err != nil {
			return nil, nil, err
		}
		t.BlockIO = r.BlockIO
	}
	if len(r.Devices) > 0 {
		t, err := where("devices", "devices", "")
		if err != nil {
			return nil, nil, err
		}
		t.Devices = r.Devices
	}
	if len(r.HugepageLimits) > 0 {
		t, err := where("hugepageLimits", "hugetlb", "hugetlb")
		if err != nil {
			return nil, nil, err
		}
		t.HugepageLimits = r.HugepageLimits
	}
	if n := r.Network; n != nil {
		if n.ClassID != nil {
			if _, err := where("network.classID", "net_cls", "net_cls"); err != nil {
				return nil, nil, err
			}
		}
		if len(n.Priorities) > 0 {
			if _, err := where("network.priorities", "net_prio", "net_prio"); err != nil {
				return nil, nil, err
			}
		}
		r1.Network = n
	}
	if len(r.Unified) > 0 {
		if l.Unified == "" {
			return nil, nil, fmt.Errorf("linux.resources.unified: the host has no cgroup2 hierarchy")
		}
		r2.Unified = r.Unified
	}
	return r1, r2, nil
}

func (m *manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := validate(r); err != nil {
		return err
	}
	r1, r2, err := m.split(r)
	if err != nil {
		return err
	}
	// Both drivers check everything before either writes anything.
	var c1, c2 commitFunc
	if m.v1 != nil {
		if c1, err = m.v1.Prepare(r1); err != nil {
			return err
		}
	}
	if m.v2 != nil {
		if c2, err = m.v2.Prepare(r2); err != nil {
			return err
		}
	}
	if c1 != nil {
		if err := c1.Commit(); err != nil {
			return err
		}
	}
	if c2 != nil {
		if err := c2.Commit(); err != nil {
			if c1 != nil {
				return c1.Rollback(err)
			}
			return err
		}
	}
	return nil
}

// commitFunc is a driver's checked plan of writes.
type commitFunc interface {
	Commit() error
	Rollback(err error) error
}
