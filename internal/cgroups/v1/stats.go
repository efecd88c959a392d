package v1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	"golang.org/x/sys/unix"
)

// userHz is the kernel's USER_HZ, the unit of cpuacct.stat.
const userHz = 100

// Stats fills s with what the v1 hierarchies count. Missing controllers
// and files are skipped.
func (m *Manager) Stats(s *cgfs.Stats) error {
	if d, ok := m.dirs["memory"]; ok {
		if err := memoryStats(d, s); err != nil {
			return err
		}
	}
	if d, ok := m.dirs["cpuacct"]; ok {
		s.CPU.Usage.Total, _ = cgfs.ReadUint(d, "cpuacct.usage")
		if pc, err := cgfs.Read(d, "cpuacct.usage_percpu"); err == nil {
			s.CPU.Usage.Percpu = nil
			for _, f := range strings.Fields(pc) {
				v, _ := strconv.ParseUint(f, 10, 64)
				s.CPU.Usage.Percpu = append(s.CPU.Usage.Percpu, v)
			}
		}
		if st, err := cgfs.ReadKeyed(d, "cpuacct.stat"); err == nil {
			s.CPU.Usage.User = st["user"] * (1e9 / userHz)
			s.CPU.Usage.Kernel = st["system"] * (1e9 / userHz)
		}
	}
	if d, ok := m.dirs["cpu"]; ok {
		if st, err := cgfs.ReadKeyed(d, "cpu.stat"); err == nil {
			s.CPU.Throttling = cgfs.Throttling{Periods: st["nr_periods"], ThrottledPeriods: st["nr_throttled"], ThrottledTime: st["throttled_time"]}
		}
	}
	if d, ok := m.dirs["pids"]; ok {
		s.Pids.Current, _ = cgfs.ReadUint(d, "pids.current")
		s.Pids.Limit, _ = cgfs.ReadUint(d, "pids.max")
		if s.Pids.Limit == 1<<64-1 {
			s.Pids.Limit = 0
		}
	}
	if d, ok := m.dirs["blkio"]; ok {
		s.Blkio.IoServiceBytesRecursive = blkioEntries(d, "blkio.throttle.io_service_bytes_recursive")
		s.Blkio.IoServicedRecursive = blkioEntries(d, "blkio.throttle.io_serviced_recursive")
	}
	if d, ok := m.dirs["hugetlb"]; ok {
		matches, _ := filepath.Glob(filepath.Join(d, "hugetlb.*.usage_in_bytes"))
		for _, f := range matches {
			size := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "hugetlb."), ".usage_in_bytes")
			h := cgfs.Hugetlb{}
			h.Usage, _ = cgfs.ReadUint(d, "hugetlb."+size+".usage_in_bytes")
			h.Max, _ = cgfs.ReadUint(d, "hugetlb."+size+".max_usage_in_bytes")
			h.Failcnt, _ = cgfs.ReadUint(d, "hugetlb."+size+".failcnt")
			if s.Hugetlb == nil {
				s.Hugetlb = map[string]cgfs.Hugetlb{}
			}
			s.Hugetlb[size] = h
		}
	}
	return nil
}

func memoryStats(d string, s *cgfs.Stats) error {
	raw, err := cgfs.ReadKeyed(d, "memory.stat")
	if err != nil {
		return fmt.Errorf("read memory stats: %w", err)
	}
	s.Memory.Raw = raw
	s.Memory.Cache = raw["total_cache"]
	entry := func(prefix string) cgfs.MemoryEntry {
		var e cgfs.MemoryEntry
		e.Usage, _ = cgfs.ReadUint(d, prefix+".usage_in_bytes")
		e.Max, _ = cgfs.ReadUint(d, prefix+".max_usage_in_bytes")
		e.Limit, _ = cgfs.ReadUint(d, prefix+".limit_in_bytes")
		e.Failcnt, _ = cgfs.ReadUint(d, prefix+".failcnt")
		return e
	}
	s.Memory.Usage = entry("memory")
	if cgfs.Exists(d, "memory.memsw.usage_in_bytes") {
		s.Memory.Swap = entry("memory.memsw")
	}
	s.Memory.OOMKill, _ = oomKills(d)
	return nil
}

func blkioEntries(d, file string) []cgfs.BlkioEntry {
	b, err := os.ReadFile(filepath.Join(d, file))
	if err != nil {
		return nil
	}
	var out []cgfs.BlkioEntry
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		maj, min, ok := strings.Cut(f[0], ":")
		if !ok {
			continue
		}
		e := cgfs.BlkioEntry{Op: f[1]}
		e.Major, _ = strconv.ParseUint(maj, 10, 64)
		e.Minor, _ = strconv.ParseUint(min, 10, 64)
		e.Value, _ = strconv.ParseUint(f[2], 10, 64)
		out = append(out, e)
	}
	return out
}

func oomKills(d string) (uint64, error) {
	st, err := cgfs.ReadKeyed(d, "memory.oom_control")
	if err != nil {
		return 0, err
	}
	return st["oom_kill"], nil
}

// OOMKills counts the OOM killer's kills in the cgroup (memory.oom_control).
func (m *Manager) OOMKills() (uint64, error) {
	d, ok := m.dirs["memory"]
	if !ok {
		return 0, errors.New("count OOM kills: the memory controller is not mounted")
	}
	n, err := oomKills(d)
	if err != nil {
		return 0, fmt.Errorf("count OOM kills: %w", err)
	}
	return n, nil
}

// NotifyOOM registers an eventfd on memory.oom_control through
// cgroup.event_control; the kernel signals it on every OOM in the cgroup
// and once more when the cgroup is removed.
func (m *Manager) NotifyOOM(ctx context.Context) (<-chan struct{}, error) {
	d, ok := m.dirs["memory"]
	if !ok {
		return nil, errors.New("watch OOM: the memory controller is not mounted")
	}
	ofd, err := unix.Open(filepath.Join(d, "memory.oom_control"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("watch OOM: %w", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(ofd)
		return nil, fmt.Errorf("watch OOM: eventfd: %w", err)
	}
	if err := cgfs.Write(d, "cgroup.event_control", fmt.Sprintf("%d %d", efd, ofd)); err != nil {
		unix.Close(ofd)
		unix.Close(efd)
		return nil, fmt.Errorf("watch OOM: %w", err)
	}
	unix.Close(ofd) // the kernel holds its own reference
	f := os.NewFile(uintptr(efd), "oom-eventfd")
	return cgfs.Notify(ctx, f, 8, func() (int, bool) {
		// The eventfd also fires when the cgroup is removed.
		_, err := os.Stat(d)
		return 1, err == nil
	}), nil
}
