package apiserver

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/build"
	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/engine"
)

// buildLimits reads POST /build's parameters for the RUN steps'
// containers (limits, extra hosts, cgroup parent) and those the classic
// builder refuses (squash, another platform, isolation) into opts, with
// the CLI's checks.
func buildLimits(r *http.Request, opts *build.Options) error {
	q := r.URL.Query()
	if boolParam(r, "squash") {
		return badRequest("%v", build.ErrSquash)
	}
	if err := build.CheckPlatform(q.Get("platform")); err != nil {
		return badRequest("%v", err)
	}
	if err := engine.CheckIsolation(q.Get("isolation")); err != nil {
		return badRequest("%v", err)
	}
	if v := q["extrahosts"]; len(v) > 0 {
		var hosts []string
		for _, h := range v {
			hosts = append(hosts, strings.Split(h, ",")...)
		}
		if err := build.CheckHosts(hosts); err != nil {
			return badRequest("%v", err)
		}
		opts.ExtraHosts = hosts
	}
	if p := q.Get("cgroupparent"); p != "" {
		if err := cgroups.ValidParent(p); err != nil {
			return badRequest("%v", err)
		}
		opts.CgroupParent = p
	}
	l := &engine.StepLimits{}
	res := &l.Resources
	res.CpusetCpus, res.CpusetMems = q.Get("cpusetcpus"), q.Get("cpusetmems")
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"memory", &res.Memory}, {"memswap", &res.MemorySwap}, {"cpushares", &res.CPUShares},
		{"cpuquota", &res.CPUQuota}, {"cpuperiod", &res.CPUPeriod}, {"shmsize", &l.ShmSize}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return badRequest("invalid %s %q: %v", p.name, v, err)
			}
			*p.dst = n
		}
	}
	if v := q.Get("ulimits"); v != "" {
		var uls []engine.Ulimit
		if err := json.Unmarshal([]byte(v), &uls); err != nil {
			return badRequest("invalid ulimits: %v", err)
		}
		res.Ulimits = uls
	}
	if err := l.Check(); err != nil {
		return badRequest("%v", err)
	}
	opts.Step = l.Apply
	return nil
}
