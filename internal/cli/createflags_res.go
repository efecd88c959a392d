package cli

import (
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/units"
)

// resFlags are run/create's block I/O, real-time and Windows-only
// resource flags, and the flags docker's Linux daemon accepts and ignores.
type resFlags struct {
	readIOps, writeIOps, weightDevice, linkLocalIPs []string
	kernelMemory, ioMaxBandwidth, volumeDriver      string
	isolation                                       string
	rtPeriod, rtRuntime, cpuCount, cpuPercent       int64
	ioMaxIOps                                       uint64
	disableContentTrust, useAPISocket               bool
}

func (f *resFlags) register(fs *pflag.FlagSet) {
	stringArrayVar(fs, &f.readIOps, "device-read-iops", nil, "Limit read rate (IO per second) from a device")
	stringArrayVar(fs, &f.writeIOps, "device-write-iops", nil, "Limit write rate (IO per second) to a device")
	stringArrayVar(fs, &f.weightDevice, "blkio-weight-device", nil, "Block IO weight (relative device weight)")
	fs.Int64Var(&f.rtPeriod, "cpu-rt-period", 0, "Limit CPU real-time period in microseconds")
	fs.Int64Var(&f.rtRuntime, "cpu-rt-runtime", 0, "Limit CPU real-time runtime in microseconds")
	fs.StringVar(&f.kernelMemory, "kernel-memory", "", "Kernel memory limit")
	fs.Int64Var(&f.cpuCount, "cpu-count", 0, "CPU count (Windows only)")
	fs.Int64Var(&f.cpuPercent, "cpu-percent", 0, "CPU percent (Windows only)")
	fs.StringVar(&f.ioMaxBandwidth, "io-maxbandwidth", "", "Maximum IO bandwidth limit for the system drive (Windows only)")
	fs.Uint64Var(&f.ioMaxIOps, "io-maxiops", 0, "Maximum IOps limit for the system drive (Windows only)")
	fs.StringVar(&f.volumeDriver, "volume-driver", "", "Optional volume driver for the container")
	fs.StringVar(&f.isolation, "isolation", "", "Container isolation technology")
	fs.BoolVar(&f.disableContentTrust, "disable-content-trust", true, "Skip image verification")
	stringArrayVar(fs, &f.linkLocalIPs, "link-local-ip", nil, "Container IPv4/IPv6 link-local addresses")
	fs.BoolVar(&f.useAPISocket, "use-api-socket", false, "Bind mount Docker API socket and required auth (the socket of a running jinn system service)")
}

// apiSocket is --use-api-socket: as docker's CLI does, the engine's API
// socket (here a running `jinn system service`'s, <runroot>/docker.sock)
// is bind-mounted at /var/run/docker.sock and DOCKER_HOST names it.
func (f *resFlags) apiSocket(o *Options, opts *engine.CreateOptions) error {
	if !f.useAPISocket {
		return nil
	}
	sock := filepath.Join(o.RunRoot, "docker.sock")
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return badFlag("--use-api-socket: no jinn API service listens on %s: start `jinn system service` first (%v)", sock, errors.Unwrap(err))
	}
	c.Close()
	opts.Volumes = append(opts.Volumes, sock+":/var/run/docker.sock")
	opts.Host.Binds = opts.Volumes
	opts.Config.Env = append(opts.Config.Env, "DOCKER_HOST=unix:///var/run/docker.sock")
	return nil
}

// apply parses the flags into h; the engine checks the values against
// the host (real-time scheduling, I/O weights) and docker's rules.
func (f *resFlags) apply(h *engine.HostConfig) error {
	b := &h.BlkioExtras
	for i, list := range [][]string{f.readIOps, f.writeIOps} {
		flag := []string{"device-read-iops", "device-write-iops"}[i]
		for _, s := range list {
			d, err := parseIOpsDevice(flag, s)
			if err != nil {
				return err
			}
			if i == 0 {
				b.BlkioDeviceReadIOps = append(b.BlkioDeviceReadIOps, d)
			} else {
				b.BlkioDeviceWriteIOps = append(b.BlkioDeviceWriteIOps, d)
			}
		}
	}
	for _, s := range f.weightDevice {
		d, err := parseWeightDevice(s)
		if err != nil {
			return err
		}
		b.BlkioWeightDevice = append(b.BlkioWeightDevice, d)
	}
	x := &h.RealtimeExtras
	x.CPURealtimePeriod, x.CPURealtimeRuntime = f.rtPeriod, f.rtRuntime
	x.CPUCount, x.CPUPercent, x.IOMaximumIOps = f.cpuCount, f.cpuPercent, f.ioMaxIOps
	for _, v := range []struct {
		flag, s string
		dst     func(int64)
	}{
		{"kernel-memory", f.kernelMemory, func(n int64) { x.KernelMemory = n }},
		{"io-maxbandwidth", f.ioMaxBandwidth, func(n int64) { x.IOMaximumBandwidth = uint64(n) }},
	} {
		if v.s == "" {
			continue
		}
		n, err := units.ParseBytes(v.s)
		if err != nil || n < 0 {
			return badFlag("invalid argument %q for \"--%s\" flag: invalid size: '%s'", v.s, v.flag, v.s)
		}
		v.dst(n)
	}
	h.VolumeDriver, h.Isolation = f.volumeDriver, f.isolation
	for _, a := range f.linkLocalIPs {
		if net.ParseIP(a) == nil {
			return badFlag("invalid argument %q for \"--link-local-ip\" flag: %s is not an ip address", a, a)
		}
	}
	h.LinkLocalIPs = f.linkLocalIPs
	return nil
}

// parseIOpsDevice is docker's DEVICE:RATE of --device-{read,write}-iops.
func parseIOpsDevice(flag, s string) (engine.ThrottleDevice, error) {
	path, rate, ok := strings.Cut(s, ":")
	if !ok || path == "" {
		return engine.ThrottleDevice{}, badFlag("invalid argument %q for \"--%s\" flag: bad format: %s", s, flag, s)
	}
	if !strings.HasPrefix(path, "/dev/") {
		return engine.ThrottleDevice{}, badFlag("invalid argument %q for \"--%s\" flag: bad format for device path: %s", s, flag, s)
	}
	n, err := strconv.ParseUint(rate, 10, 64)
	if err != nil {
		return engine.ThrottleDevice{}, badFlag("invalid argument %q for \"--%s\" flag: invalid rate for device: %s. The correct format is <device-path>:<number>. Number must be a positive integer", s, flag, s)
	}
	return engine.ThrottleDevice{Path: path, Rate: n}, nil
}

// parseWeightDevice is docker's DEVICE:WEIGHT of --blkio-weight-device.
func parseWeightDevice(s string) (engine.WeightDevice, error) {
	path, weight, ok := strings.Cut(s, ":")
	if !ok || path == "" {
		return engine.WeightDevice{}, badFlag("invalid argument %q for \"--blkio-weight-device\" flag: bad format: %s", s, s)
	}
	if !strings.HasPrefix(path, "/dev/") {
		return engine.WeightDevice{}, badFlag("invalid argument %q for \"--blkio-weight-device\" flag: bad format for device path: %s", s, s)
	}
	n, err := strconv.ParseUint(weight, 10, 16)
	if err != nil || n > 0 && (n < 10 || n > 1000) {
		return engine.WeightDevice{}, badFlag("invalid argument %q for \"--blkio-weight-device\" flag: invalid weight for device: %s", s, s)
	}
	return engine.WeightDevice{Path: path, Weight: uint16(n)}, nil
}
