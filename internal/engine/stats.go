package engine

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/recipe"
)

// Stats is one sample of a container's resource use, from its cgroup.
type Stats struct {
	Read     time.Time
	CPUNanos uint64 // cumulative CPU time
	MemUsage uint64
	MemLimit uint64
	Pids     uint64
	BlkRead  uint64
	BlkWrite uint64
	NetRx    uint64
	NetTx    uint64
}

func readKeyed(path, key string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == key {
			n, _ := strconv.ParseUint(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// containerCgroup is the container's cgroup, where the recipe put it.
func (e *Local) containerCgroup(c *Container) (cgroups.Manager, error) {
	l, err := e.cgroupLayout()
	if err != nil {
		return nil, err
	}
	p := e.parentOf(c)
	return cgroups.New(cgroups.Config{Path: recipe.CgroupsPath(p, c.ID), Parent: p, Layout: l})
}

// Stats samples the container's cgroup.
func (e *Local) Stats(ctx context.Context, ref string) (*Stats, error) {
	c, err := e.Lookup(ref)
	if err != nil {
		return nil, err
	}
	s := &Stats{Read: time.Now()}
	st := e.liveState(c)
	if !running(st) {
		return s, nil
	}
	if m, err := e.containerCgroup(c); err == nil {
		if cs, err := m.Stats(); err == nil {
			cgroupFigures(s, cs)
		}
	}
	if host := hostMemory(); s.MemLimit == 0 || s.MemLimit > host {
		s.MemLimit = host
	}
	if st.Pid > 0 {
		// The init's /proc/PID/net/dev shows its network namespace's devices.
		s.NetRx, s.NetTx = netIO(filepath.Join("/proc", strconv.Itoa(st.Pid), "net/dev"))
	}
	return s, nil
}

// cgroupFigures takes docker stats' figures from the cgroup's.
func cgroupFigures(s *Stats, cs *cgroups.Stats) {
	s.CPUNanos = cs.CPU.Usage.Total
	// Docker subtracts the page cache (v1's total_inactive_file).
	s.MemUsage = cs.Memory.Usage.Usage
	if inactive := cs.Memory.Raw["total_inactive_file"]; inactive < s.MemUsage {
		s.MemUsage -= inactive
	}
	s.MemLimit = cs.Memory.Usage.Limit
	s.Pids = cs.Pids.Current
	for _, e := range cs.Blkio.IoServiceBytesRecursive {
		switch e.Op {
		case "Read":
			s.BlkRead += e.Value
		case "Write":
			s.BlkWrite += e.Value
		}
	}
}

// netIO sums received and sent bytes over a network namespace's devices
// but lo, as docker stats does.
func netIO(path string) (rx, tx uint64) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		dev, rest, ok := strings.Cut(line, ":")
		f := strings.Fields(rest)
		if !ok || strings.TrimSpace(dev) == "lo" || len(f) < 9 {
			continue
		}
		r, _ := strconv.ParseUint(f[0], 10, 64)
		t, _ := strconv.ParseUint(f[8], 10, 64)
		rx += r
		tx += t
	}
	return rx, tx
}

func hostMemory() uint64 {
	return readKeyed("/proc/meminfo", "MemTotal:") * 1024
}

func timeOf(ts unix.Timespec) time.Time { return time.Unix(ts.Sec, ts.Nsec) }
