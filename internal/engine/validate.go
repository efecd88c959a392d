package engine

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/clip"
	"github.com/jinn-containers/jinn/internal/units"
)

// maxNameLen is the longest container or volume name: a name is a file
// name in the store, and a longer one is a mistake or an attack, not
// something to echo back.
const maxNameLen = 255

// checkName checks a container name (what is "container" or "volume").
func checkName(what, name string) error {
	if len(name) > maxNameLen {
		return fmt.Errorf("Invalid %s name: %d characters long, at most %d are allowed", what, len(name), maxNameLen)
	}
	if !validName(name) {
		return fmt.Errorf("Invalid %s name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", what, clip.Line(name))
	}
	return nil
}

// checkResources refuses resource values that would otherwise be stored
// as "no limit" or as garbage, for the CLI and the API alike; a negative
// --pids-limit is docker's "unlimited" and becomes -1.
func checkResources(r *Resources) error {
	for _, v := range []struct {
		name string
		n    int64
	}{{"memory", r.Memory}, {"memory-reservation", r.MemoryReservation}, {"cpu-shares", r.CPUShares}} {
		if v.n < 0 {
			return fmt.Errorf("invalid --%s %d: must not be negative", v.name, v.n)
		}
	}
	if r.MemorySwap < -1 {
		return fmt.Errorf("invalid --memory-swap %d: -1 (unlimited) or a size", r.MemorySwap)
	}
	if n := int64(runtime.NumCPU()); r.NanoCpus < 0 || (r.NanoCpus > 0 && r.NanoCpus < 1e7) || r.NanoCpus > n*1e9 {
		return fmt.Errorf("range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", n, n)
	}
	if r.PidsLimit != nil && *r.PidsLimit < 0 {
		unlimited := int64(-1)
		r.PidsLimit = &unlimited
	}
	return nil
}

// validate checks the values of a create request, whoever parsed it (the
// CLI's flags or the API's JSON): docker's messages, exit 125, nothing made.
func validate(o *CreateOptions) error {
	bad := invalid
	if wd := o.Config.WorkingDir; wd != "" && !strings.HasPrefix(wd, "/") {
		return bad("the working directory '%s' is invalid, it needs to be an absolute path", wd)
	}
	h := &o.Host
	if h.OomScoreAdj < -1000 || h.OomScoreAdj > 1000 {
		return bad("Invalid value %d, range for oom score adj is [-1000, 1000]", h.OomScoreAdj)
	}
	if err := checkLimits(&h.Resources); err != nil {
		return err
	}
	rp := h.RestartPolicy
	switch rp.Name {
	case "", "no", "always", "unless-stopped":
		if rp.MaximumRetryCount != 0 {
			return bad("invalid restart policy: maximum retry count can only be used with 'on-failure'")
		}
	case "on-failure":
		if rp.MaximumRetryCount < 0 {
			return bad("invalid restart policy: maximum retry count cannot be negative")
		}
	default:
		return bad("invalid restart policy format: unknown policy %q", rp.Name)
	}
	if t := h.LogConfig.Type; t != "" && t != "json-file" {
		return bad("logging driver %q is not supported: only json-file", t)
	}
	for k, v := range h.LogConfig.Config {
		switch k {
		case "max-size":
			if _, err := units.ParseBytes(v); err != nil {
				return bad("failed to parse max-size %q", v)
			}
		case "max-file":
			if n, err := strconv.Atoi(v); err != nil || n < 1 {
				return bad("max-file must be a positive integer")
			}
		default:
			return bad("unknown log opt '%s' for json-file log driver", k)
		}
	}
	return nil
}

// checkLimits checks the memory, block I/O and ulimit values docker's
// daemon checks, for containers and build steps alike.
func checkLimits(r *Resources) error {
	bad := invalid
	if r.Memory > 0 && r.Memory < 6*1024*1024 {
		return bad("Minimum memory limit allowed is 6MB")
	}
	if r.MemorySwap > 0 && r.Memory == 0 {
		return bad("You should always set the Memory limit when using Memoryswap limit, see usage")
	}
	if r.MemorySwap > 0 && r.MemorySwap < r.Memory {
		return bad("Minimum memoryswap limit should be larger than memory limit, see usage")
	}
	if r.BlkioWeight != 0 && (r.BlkioWeight < 10 || r.BlkioWeight > 1000) {
		return bad("invalid argument %d for \"--blkio-weight\": range is from 10 to 1000", r.BlkioWeight)
	}
	for _, d := range append(append([]ThrottleDevice{}, r.BlkioDeviceReadBps...), r.BlkioDeviceWriteBps...) {
		if !strings.HasPrefix(d.Path, "/dev/") {
			return bad("invalid argument %q: bad format for device rate, expected /dev/DEVICE:RATE", d.Path)
		}
	}
	for _, u := range r.Ulimits {
		switch u.Name {
		case "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", "as":
		default:
			return bad("invalid ulimit type: %s", u.Name)
		}
		if u.Soft > u.Hard {
			return bad("ulimit soft limit must be less than or equal to hard limit: %d > %d", u.Soft, u.Hard)
		}
	}
	return nil
}
