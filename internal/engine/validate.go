package engine

import (
	"fmt"
	"runtime"
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
	if !validName.MatchString(name) {
		return fmt.Errorf("Invalid %s name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", what, short(name))
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
