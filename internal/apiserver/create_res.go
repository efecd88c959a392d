package apiserver

import (
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"

	"github.com/jinn-containers/jinn/internal/engine"
)

// resExtras carries HostConfig's IOPS limits, per-device weights,
// real-time scheduling, the fields dockerd's Linux daemon discards or
// refuses (kernel memory, CPU count and percent, I/O maxima), the volume
// driver and the isolation into the engine's, which checks them as for
// the CLI's flags.
func resExtras(h *engine.HostConfig, hc *container.HostConfig) {
	b := &h.BlkioExtras
	b.BlkioDeviceReadIOps = throttleDevices(hc.BlkioDeviceReadIOps)
	b.BlkioDeviceWriteIOps = throttleDevices(hc.BlkioDeviceWriteIOps)
	for _, d := range hc.BlkioWeightDevice {
		if d != nil {
			b.BlkioWeightDevice = append(b.BlkioWeightDevice, engine.WeightDevice{Path: d.Path, Weight: d.Weight})
		}
	}
	x := &h.RealtimeExtras
	x.CPURealtimePeriod, x.CPURealtimeRuntime = hc.CPURealtimePeriod, hc.CPURealtimeRuntime
	x.CPUCount, x.CPUPercent = hc.CPUCount, hc.CPUPercent
	x.IOMaximumIOps, x.IOMaximumBandwidth = hc.IOMaximumIOps, hc.IOMaximumBandwidth
	h.VolumeDriver, h.Isolation = hc.VolumeDriver, string(hc.Isolation)
}

func throttleDevices(l []*blkiodev.ThrottleDevice) []engine.ThrottleDevice {
	var out []engine.ThrottleDevice
	for _, d := range l {
		if d != nil {
			out = append(out, engine.ThrottleDevice{Path: d.Path, Rate: d.Rate})
		}
	}
	return out
}

// resExtrasOf is resExtras backwards, for inspect.
func resExtrasOf(hc *container.HostConfig, h *engine.HostConfig) {
	b := &h.BlkioExtras
	for _, l := range []struct {
		from []engine.ThrottleDevice
		to   *[]*blkiodev.ThrottleDevice
	}{{b.BlkioDeviceReadIOps, &hc.BlkioDeviceReadIOps}, {b.BlkioDeviceWriteIOps, &hc.BlkioDeviceWriteIOps}} {
		for _, d := range l.from {
			*l.to = append(*l.to, &blkiodev.ThrottleDevice{Path: d.Path, Rate: d.Rate})
		}
	}
	for _, d := range b.BlkioWeightDevice {
		hc.BlkioWeightDevice = append(hc.BlkioWeightDevice, &blkiodev.WeightDevice{Path: d.Path, Weight: d.Weight})
	}
	x := &h.RealtimeExtras
	hc.CPURealtimePeriod, hc.CPURealtimeRuntime = x.CPURealtimePeriod, x.CPURealtimeRuntime
	hc.VolumeDriver, hc.Isolation = h.VolumeDriver, container.Isolation(h.Isolation)
}
