package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/cgroups"
)

// BlkioExtras are docker's per-device I/O resources beside the bps
// limits: IOPS limits and per-device weights.
type BlkioExtras struct {
	BlkioWeightDevice    []WeightDevice   `json:"BlkioWeightDevice"`
	BlkioDeviceReadIOps  []ThrottleDevice `json:"BlkioDeviceReadIOps"`
	BlkioDeviceWriteIOps []ThrottleDevice `json:"BlkioDeviceWriteIOps"`
}

// WeightDevice is a --blkio-weight-device entry.
type WeightDevice struct {
	Path   string `json:"Path"`
	Weight uint16 `json:"Weight"`
}

// RealtimeExtras are docker's real-time scheduling resources (cgroup v1's
// cpu.rt_*) and the fields docker's Linux daemon ignores or refuses
// (kernel memory, Windows' CPU count and percent, I/O maxima).
type RealtimeExtras struct {
	CPURealtimePeriod  int64  `json:"CpuRealtimePeriod"`
	CPURealtimeRuntime int64  `json:"CpuRealtimeRuntime"`
	KernelMemory       int64  `json:"KernelMemory,omitempty"`
	CPUCount           int64  `json:"CpuCount,omitempty"`
	CPUPercent         int64  `json:"CpuPercent,omitempty"`
	IOMaximumIOps      uint64 `json:"IOMaximumIOps,omitempty"`
	IOMaximumBandwidth uint64 `json:"IOMaximumBandwidth,omitempty"`
}

// checkMoreResources is dockerd's verifyPlatformContainerResources for
// these fields on Linux: what it refuses is refused (exit 125), what it
// discards is dropped with its warning. l is the host's cgroup layout.
func checkMoreResources(r *Resources, l *cgroups.Layout) (warnings []string, err error) {
	x := &r.RealtimeExtras
	if x.KernelMemory != 0 {
		// Docker 25 and later: kmem.limit_in_bytes is gone from the kernel.
		warnings = append(warnings, "Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.")
		x.KernelMemory = 0
	}
	if x.CPUPercent > 0 {
		warnings = append(warnings, fmt.Sprintf("%s does not support CPU percent. Percent discarded.", runtime.GOOS))
		x.CPUPercent = 0
	}
	if x.CPUCount > 0 {
		warnings = append(warnings, fmt.Sprintf("%s does not support CPU count. Count discarded.", runtime.GOOS))
		x.CPUCount = 0
	}
	if x.CPUPercent < 0 || x.CPUCount < 0 {
		return warnings, invalid("invalid CPU count or percent: must not be negative")
	}
	if x.IOMaximumBandwidth != 0 || x.IOMaximumIOps != 0 {
		return warnings, invalid("Invalid QoS settings: %s does not support Maximum IO Bandwidth or Maximum IO IOps", runtime.GOOS)
	}
	if err := checkRealtime(x.CPURealtimePeriod, x.CPURealtimeRuntime, l); err != nil {
		return warnings, err
	}
	b := &r.BlkioExtras
	for _, d := range b.BlkioWeightDevice {
		if !strings.HasPrefix(d.Path, "/dev/") {
			return warnings, invalid("bad format for device path: %s", d.Path)
		}
		if d.Weight > 0 && (d.Weight < 10 || d.Weight > 1000) {
			return warnings, invalid("invalid weight for device: %s:%d", d.Path, d.Weight)
		}
	}
	for _, d := range append(append([]ThrottleDevice{}, b.BlkioDeviceReadIOps...), b.BlkioDeviceWriteIOps...) {
		if !strings.HasPrefix(d.Path, "/dev/") {
			return warnings, invalid("bad format for device path: %s", d.Path)
		}
	}
	if len(b.BlkioWeightDevice) > 0 && !hasWeightDevice(l) {
		return warnings, invalid("Your kernel does not support Block I/O weight_device or the cgroup is not mounted (the host's I/O scheduler has no weights: no bfq)")
	}
	return warnings, nil
}

// checkRealtime refuses real-time limits the host cannot apply: cgroup v2
// has no real-time group scheduling, and a kernel without
// CONFIG_RT_GROUP_SCHED has no cpu.rt_* files.
func checkRealtime(period, rt int64, l *cgroups.Layout) error {
	if period < 0 {
		return invalid("invalid --cpu-rt-period %d: must not be negative", period)
	}
	if rt < -1 {
		return invalid("invalid --cpu-rt-runtime %d: -1 (unlimited) or more", rt)
	}
	if period > 0 && !hasRealtime(l, "cpu.rt_period_us") {
		return invalid("Your kernel does not support cgroup cpu real-time period")
	}
	if rt != 0 && !hasRealtime(l, "cpu.rt_runtime_us") {
		return invalid("Your kernel does not support cgroup cpu real-time runtime")
	}
	if period != 0 && rt != 0 && rt > period {
		return invalid("cpu real-time runtime cannot be higher than cpu real-time period")
	}
	return nil
}

// hasRealtime says whether the v1 cpu hierarchy has file (cgroup v2 has
// no real-time scheduling of groups).
func hasRealtime(l *cgroups.Layout, file string) bool {
	if l == nil || l.V1["cpu"] == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(l.V1["cpu"], file))
	return err == nil
}

// hasWeightDevice says whether the host can weigh I/O per device: v1's
// blkio.weight_device (CFQ) or blkio.bfq.weight_device, v2's io
// controller with io.weight or io.bfq.weight in a child of the root.
func hasWeightDevice(l *cgroups.Layout) bool {
	if l == nil {
		return false
	}
	if d := l.V1["blkio"]; d != "" {
		for _, f := range []string{"blkio.weight_device", "blkio.bfq.weight_device"} {
			if _, err := os.Stat(filepath.Join(d, f)); err == nil {
				return true
			}
		}
		return false
	}
	if l.Unified == "" || !l.UnifiedControllers["io"] {
		return false
	}
	for _, f := range []string{"io.weight", "io.bfq.weight"} {
		if m, _ := filepath.Glob(filepath.Join(l.Unified, "*", f)); len(m) > 0 {
			return true
		}
	}
	return false
}

// moreBlkio lays the IOPS limits and per-device weights over b.
func moreBlkio(x *BlkioExtras, b *specs.LinuxBlockIO) {
	b.ThrottleReadIOPSDevice = throttle(x.BlkioDeviceReadIOps)
	b.ThrottleWriteIOPSDevice = throttle(x.BlkioDeviceWriteIOps)
	for _, d := range x.BlkioWeightDevice {
		var st unix.Stat_t
		if unix.Stat(d.Path, &st) != nil {
			continue
		}
		w := d.Weight
		wd := specs.LinuxWeightDevice{Weight: &w}
		wd.Major, wd.Minor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		b.WeightDevice = append(b.WeightDevice, wd)
	}
}

func (x *BlkioExtras) any() bool {
	return len(x.BlkioWeightDevice)+len(x.BlkioDeviceReadIOps)+len(x.BlkioDeviceWriteIOps) > 0
}

// checkDevicePaths refuses a per-device limit on a path that is no
// block device here: docker's daemon fails the start on it; jinn says so
// at create, before anything is made.
func checkDevicePaths(r *Resources) error {
	var paths []string
	for _, l := range [][]ThrottleDevice{r.BlkioDeviceReadBps, r.BlkioDeviceWriteBps, r.BlkioDeviceReadIOps, r.BlkioDeviceWriteIOps} {
		for _, d := range l {
			paths = append(paths, d.Path)
		}
	}
	for _, d := range r.BlkioWeightDevice {
		paths = append(paths, d.Path)
	}
	for _, p := range paths {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			return invalid("error gathering device information while adding device %q: %v", p, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFBLK {
			return invalid("%s is not a block device", p)
		}
	}
	return nil
}

// checkHostResources checks what depends on this host (its cgroups, its
// devices) and docker's Linux-only rules (--isolation, --volume-driver);
// it returns docker's warnings for what it discards.
func (e *Local) checkHostResources(h *HostConfig) ([]string, error) {
	if err := CheckIsolation(h.Isolation); err != nil {
		return nil, err
	}
	if d := h.VolumeDriver; d != "" && d != "local" {
		return nil, invalid("error looking up volume plugin %s: plugin %q not found (jinn has only the local volume driver)", d, d)
	}
	r := &h.Resources
	var l *cgroups.Layout
	if r.CPURealtimePeriod != 0 || r.CPURealtimeRuntime != 0 || len(r.BlkioWeightDevice) > 0 {
		var err error
		if l, err = e.cgroupLayout(); err != nil {
			return nil, err
		}
	}
	w, err := checkMoreResources(r, l)
	if err != nil {
		return w, err
	}
	return w, checkDevicePaths(r)
}

// CheckIsolation is dockerd's rule for --isolation on Linux (run, create,
// build): only "default", or nothing.
func CheckIsolation(i string) error {
	if l := strings.ToLower(i); l != "" && l != "default" {
		return invalid("Invalid isolation: %q - %s only supports 'default'", i, runtime.GOOS)
	}
	return nil
}

// checkRealtimeBudget refuses a real-time runtime the container's parent
// cgroup cannot give (the kernel's EINVAL at start otherwise): a child's
// share of a period is at most its parent's. dockerd gives its parent a
// budget only with its own --cpu-rt-runtime; jinn has no daemon, so the
// parent (--cgroup-parent, or jinn's) must have one.
func (e *Local) checkRealtimeBudget(c *Container) error {
	h := &c.Host
	rt := h.CPURealtimeRuntime
	if rt <= 0 || strings.HasSuffix(c.CgroupParent, ".slice") {
		return nil
	}
	l, err := e.cgroupLayout()
	if err != nil || l.V1["cpu"] == "" {
		return nil
	}
	dir := filepath.Join(l.V1["cpu"], c.CgroupParent)
	if _, err := os.Stat(dir); err != nil {
		return invalid("--cpu-rt-runtime %d: the parent cgroup /%s does not exist yet, and jinn makes it with no real-time runtime: make it with a budget (cpu.rt_runtime_us), or use another --cgroup-parent", rt, c.CgroupParent)
	}
	read := func(f string) int64 {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return n
	}
	budget, parentPeriod := read("cpu.rt_runtime_us"), read("cpu.rt_period_us")
	period := h.CPURealtimePeriod
	if period == 0 {
		period = 1000000 // the kernel's default
	}
	if budget == -1 || parentPeriod > 0 && rt*parentPeriod <= budget*period {
		return nil
	}
	return invalid("--cpu-rt-runtime %d: the parent cgroup /%s has %dus of real-time runtime per %dus (cpu.rt_runtime_us): give it more, or use another --cgroup-parent",
		rt, c.CgroupParent, budget, parentPeriod)
}
