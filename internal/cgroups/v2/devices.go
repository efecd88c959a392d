package v2

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cgroup2 has no devices files: access to device nodes is decided by a
// BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup, which
// package devfilter compiles and loads. The Manager gets it from its
// caller (the runtime) so that programs which never set device rules (the
// engine) do not link the BPF library.

// DeviceFilter loads the program enforcing rules for the cgroup at dir (a
// refused program fails here, before any write) and returns its attach.
type DeviceFilter func(dir string, rules []specs.LinuxDeviceCgroup) (attach func() error, err error)

// WithDevices gives m the DeviceFilter that its Prepare uses for device
// rules; without one, device rules are refused.
func (m *Manager) WithDevices(f DeviceFilter) *Manager {
	m.devices = f
	return m
}

func (s *setter) devices(r *specs.LinuxResources) error {
	if len(r.Devices) == 0 {
		return nil
	}
	if s.m.devices == nil {
		// Never skipped silently: a container would get every device.
		return errNoDeviceFilter
	}
	attach, err := s.m.devices(s.m.dir, r.Devices)
	if err != nil {
		return err
	}
	s.p.Func(attach, nil)
	return nil
}

var errNoDeviceFilter = errors.New("linux.resources.devices: this program cannot set cgroup2 device rules (no device filter)")
