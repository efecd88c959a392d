package shim

import (
	v1 "github.com/containerd/cgroups/v3/cgroup1/stats"
	v2 "github.com/containerd/cgroups/v3/cgroup2/stats"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/jinn-containers/jinn/internal/cgroups"
)

// unifiedHost says whether /sys/fs/cgroup is cgroup2 alone: containerd
// then expects v2 metrics (it decides the same way).
func unifiedHost() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// metrics turns the runtime's stats into containerd's cgroup metrics, as
// an Any (v1 Metrics on a v1 or hybrid host, v2 on a unified one).
func metrics(s *cgroups.Stats) (*anypb.Any, error) {
	if unifiedHost() {
		return marshalAny(metricsV2(s))
	}
	return marshalAny(metricsV1(s))
}

func metricsV1(s *cgroups.Stats) *v1.Metrics {
	raw := s.Memory.Raw
	m := &v1.Metrics{
		Pids: &v1.PidsStat{Current: s.Pids.Current, Limit: s.Pids.Limit},
		CPU: &v1.CPUStat{
			Usage: &v1.CPUUsage{Total: s.CPU.Usage.Total, Kernel: s.CPU.Usage.Kernel, User: s.CPU.Usage.User,
				PerCPU: s.CPU.Usage.Percpu},
			Throttling: &v1.Throttle{Periods: s.CPU.Throttling.Periods, ThrottledPeriods: s.CPU.Throttling.ThrottledPeriods,
				ThrottledTime: s.CPU.Throttling.ThrottledTime},
		},
		Memory: &v1.MemoryStat{
			Cache: raw["cache"], RSS: raw["rss"], RSSHuge: raw["rss_huge"], MappedFile: raw["mapped_file"],
			Dirty: raw["dirty"], Writeback: raw["writeback"], PgPgIn: raw["pgpgin"], PgPgOut: raw["pgpgout"],
			PgFault: raw["pgfault"], PgMajFault: raw["pgmajfault"], InactiveAnon: raw["inactive_anon"],
			ActiveAnon: raw["active_anon"], InactiveFile: raw["inactive_file"], ActiveFile: raw["active_file"],
			Unevictable: raw["unevictable"], HierarchicalMemoryLimit: raw["hierarchical_memory_limit"],
			HierarchicalSwapLimit: raw["hierarchical_memsw_limit"], TotalCache: raw["total_cache"],
			TotalRSS: raw["total_rss"], TotalRSSHuge: raw["total_rss_huge"], TotalMappedFile: raw["total_mapped_file"],
			TotalDirty: raw["total_dirty"], TotalWriteback: raw["total_writeback"], TotalPgPgIn: raw["total_pgpgin"],
			TotalPgPgOut: raw["total_pgpgout"], TotalPgFault: raw["total_pgfault"], TotalPgMajFault: raw["total_pgmajfault"],
			TotalInactiveAnon: raw["total_inactive_anon"], TotalActiveAnon: raw["total_active_anon"],
			TotalInactiveFile: raw["total_inactive_file"], TotalActiveFile: raw["total_active_file"],
			TotalUnevictable: raw["total_unevictable"],
			Usage: &v1.MemoryEntry{Limit: s.Memory.Usage.Limit, Usage: s.Memory.Usage.Usage, Max: s.Memory.Usage.Max,
				Failcnt: s.Memory.Usage.Failcnt},
			Swap: &v1.MemoryEntry{Limit: s.Memory.Swap.Limit, Usage: s.Memory.Swap.Usage, Max: s.Memory.Swap.Max,
				Failcnt: s.Memory.Swap.Failcnt},
		},
		Blkio: &v1.BlkIOStat{},
	}
	for _, e := range s.Blkio.IoServiceBytesRecursive {
		m.Blkio.IoServiceBytesRecursive = append(m.Blkio.IoServiceBytesRecursive,
			&v1.BlkIOEntry{Op: e.Op, Major: e.Major, Minor: e.Minor, Value: e.Value})
	}
	for _, e := range s.Blkio.IoServicedRecursive {
		m.Blkio.IoServicedRecursive = append(m.Blkio.IoServicedRecursive,
			&v1.BlkIOEntry{Op: e.Op, Major: e.Major, Minor: e.Minor, Value: e.Value})
	}
	for size, h := range s.Hugetlb {
		m.Hugetlb = append(m.Hugetlb, &v1.HugetlbStat{Usage: h.Usage, Max: h.Max, Failcnt: h.Failcnt, Pagesize: size})
	}
	return m
}

func metricsV2(s *cgroups.Stats) *v2.Metrics {
	raw := s.Memory.Raw
	return &v2.Metrics{
		Pids: &v2.PidsStat{Current: s.Pids.Current, Limit: s.Pids.Limit},
		CPU: &v2.CPUStat{UsageUsec: s.CPU.Usage.Total / 1000, UserUsec: s.CPU.Usage.User / 1000,
			SystemUsec: s.CPU.Usage.Kernel / 1000, NrPeriods: s.CPU.Throttling.Periods,
			NrThrottled: s.CPU.Throttling.ThrottledPeriods, ThrottledUsec: s.CPU.Throttling.ThrottledTime / 1000},
		Memory: &v2.MemoryStat{Anon: raw["anon"], File: raw["file"], KernelStack: raw["kernel_stack"],
			Slab: raw["slab"], Sock: raw["sock"], Shmem: raw["shmem"], FileMapped: raw["file_mapped"],
			FileDirty: raw["file_dirty"], FileWriteback: raw["file_writeback"], InactiveAnon: raw["inactive_anon"],
			ActiveAnon: raw["active_anon"], InactiveFile: raw["inactive_file"], ActiveFile: raw["active_file"],
			Unevictable: raw["unevictable"], Pgfault: raw["pgfault"], Pgmajfault: raw["pgmajfault"],
			Usage: s.Memory.Usage.Usage, UsageLimit: s.Memory.Usage.Limit, MaxUsage: s.Memory.Usage.Max,
			SwapUsage: s.Memory.Swap.Usage, SwapLimit: s.Memory.Swap.Limit},
		MemoryEvents: &v2.MemoryEvents{OomKill: s.Memory.OOMKill},
	}
}
