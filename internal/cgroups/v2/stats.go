package v2

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

// Stats fills s with what the cgroup2 controllers count. Missing
// controllers and files are skipped.
func (m *Manager) Stats(s *cgfs.Stats) error {
	d := m.dir
	if raw, err := cgfs.ReadKeyed(d, "memory.stat"); err == nil {
		s.Memory.Raw = raw
		s.Memory.Cache = raw["file"]
		s.Memory.Usage.Usage, _ = cgfs.ReadUint(d, "memory.current")
		s.Memory.Usage.Limit, _ = cgfs.ReadUint(d, "memory.max")
		s.Memory.Usage.Max, _ = cgfs.ReadUint(d, "memory.peak")
		if ev, err := cgfs.ReadKeyed(d, "memory.events"); err == nil {
			s.Memory.Usage.Failcnt = ev["max"]
			s.Memory.OOMKill = ev["oom_kill"]
		}
		if cgfs.Exists(d, "memory.swap.current") {
			s.Memory.Swap.Usage, _ = cgfs.ReadUint(d, "memory.swap.current")
			s.Memory.Swap.Limit, _ = cgfs.ReadUint(d, "memory.swap.max")
		}
	}
	if st, err := cgfs.ReadKeyed(d, "cpu.stat"); err == nil {
		s.CPU.Usage.Total = st["usage_usec"] * 1000
		s.CPU.Usage.User = st["user_usec"] * 1000
		s.CPU.Usage.Kernel = st["system_usec"] * 1000
		s.CPU.Throttling = cgfs.Throttling{Periods: st["nr_periods"], ThrottledPeriods: st["nr_throttled"], ThrottledTime: st["throttled_usec"] * 1000}
	}
	if cgfs.Exists(d, "pids.current") {
		s.Pids.Current, _ = cgfs.ReadUint(d, "pids.current")
		s.Pids.Limit, _ = cgfs.ReadUint(d, "pids.max")
		if s.Pids.Limit == 1<<64-1 {
			s.Pids.Limit = 0
		}
	}
	if b, err := os.ReadFile(filepath.Join(d, "io.stat")); err == nil {
		s.Blkio.IoServiceBytesRecursive, s.Blkio.IoServicedRecursive = ioStat(string(b))
	}
	matches, _ := filepath.Glob(filepath.Join(d, "hugetlb.*.current"))
	for _, f := range matches {
		size := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "hugetlb."), ".current")
		if strings.Contains(size, ".") {
			continue // hugetlb.2MB.rsvd.current
		}
		h := cgfs.Hugetlb{}
		h.Usage, _ = cgfs.ReadUint(d, "hugetlb."+size+".current")
		if ev, err := cgfs.ReadKeyed(d, "hugetlb."+size+".events"); err == nil {
			h.Failcnt = ev["max"]
		}
		if s.Hugetlb == nil {
			s.Hugetlb = map[string]cgfs.Hugetlb{}
		}
		s.Hugetlb[size] = h
	}
	return nil
}

// ioStat turns io.stat lines ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...")
// into v1-style entries, as runc does.
func ioStat(s string) (bytes, ios []cgfs.BlkioEntry) {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		maj, min, _ := strings.Cut(f[0], ":")
		ma, _ := strconv.ParseUint(maj, 10, 64)
		mi, _ := strconv.ParseUint(min, 10, 64)
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseUint(v, 10, 64)
			e := cgfs.BlkioEntry{Major: ma, Minor: mi, Value: n}
			switch k {
			case "rbytes":
				e.Op = "Read"
				bytes = append(bytes, e)
			case "wbytes":
				e.Op = "Write"
				bytes = append(bytes, e)
			case "rios":
				e.Op = "Read"
				ios = append(ios, e)
			case "wios":
				e.Op = "Write"
				ios = append(ios, e)
			}
		}
	}
	return bytes, ios
}

// OOMKills reads oom_kill from memory.events.
func (m *Manager) OOMKills() (uint64, error) {
	ev, err := cgfs.ReadKeyed(m.dir, "memory.events")
	if err != nil {
		return 0, fmt.Errorf("count OOM kills: %w", err)
	}
	return ev["oom_kill"], nil
}

// NotifyOOM watches memory.events with inotify (the kernel raises
// IN_MODIFY on it) and sends whenever oom_kill grows.
func (m *Manager) NotifyOOM(ctx context.Context) (<-chan struct{}, error) {
	last, err := m.OOMKills()
	if err != nil {
		return nil, err
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("watch OOM: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Join(m.dir, "memory.events"), unix.IN_MODIFY|unix.IN_DELETE_SELF|unix.IN_IGNORED); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watch OOM: %w", err)
	}
	f := os.NewFile(uintptr(fd), "inotify")
	return cgfs.Notify(ctx, f, 4096, func() (int, bool) {
		n, err := m.OOMKills()
		if err != nil {
			return 0, !errors.Is(err, os.ErrNotExist)
		}
		if n <= last {
			return 0, true
		}
		d := n - last
		last = n
		return int(d), true
	}), nil
}
