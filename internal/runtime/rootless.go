package runtime

import (
	"log/slog"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// rootlessNoCgroup says whether to go without a cgroup: jinn-runtime run
// by an unprivileged user cannot make cgroups under jinn's parent (no
// systemd delegation here), so, as runc does without delegation, the
// container runs in the caller's cgroup and limits are not applied.
func rootlessNoCgroup(s *specs.Spec) bool {
	if os.Geteuid() == 0 {
		return false
	}
	if s != nil && s.Linux != nil && s.Linux.Resources != nil {
		r := s.Linux.Resources
		if r.Memory != nil || r.CPU != nil || r.Pids != nil || r.BlockIO != nil || len(r.HugepageLimits) > 0 || len(r.Unified) > 0 {
			slog.Warn("rootless: no cgroup can be made, resource limits are not applied")
		}
	}
	return true
}
