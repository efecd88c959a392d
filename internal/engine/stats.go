package engine

import (
	"context"
	"golang.org/x/sys/unix"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
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

// cgroupFile finds a file of the cgroup that pid is in, on v1 (the
// controller's hierarchy) or v2: whichever runtime made the cgroup and
// under whatever parent, /proc/PID/cgroup says where it is.
func cgroupFile(pid int, v1ctl, v1file, v2file string) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	v2 := ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if f[1] == "" {
			v2 = f[2]
		}
		for _, ctl := range strings.Split(f[1], ",") {
			if ctl == v1ctl {
				p := filepath.Join("/sys/fs/cgroup", v1ctl, f[2], v1file)
				if _, err := os.Stat(p); err == nil {
					return p
				}
			}
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/unified"); err == nil {
		return filepath.Join("/sys/fs/cgroup/unified", v2, v2file)
	}
	return filepath.Join("/sys/fs/cgroup", v2, v2file)
}

func readUint(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0
	}
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
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
	if p := cgroupFile(st.Pid, "cpuacct", "cpuacct.usage", "cpu.stat"); strings.HasSuffix(p, "cpuacct.usage") {
		s.CPUNanos = readUint(p)
	} else {
		s.CPUNanos = readKeyed(p, "usage_usec") * 1000
	}
	if p := cgroupFile(st.Pid, "memory", "memory.usage_in_bytes", "memory.current"); strings.HasSuffix(p, "usage_in_bytes") {
		// Docker subtracts the page cache (total_inactive_file).
		use := readUint(p)
		inactive := readKeyed(filepath.Join(filepath.Dir(p), "memory.stat"), "total_inactive_file")
		if inactive < use {
			use -= inactive
		}
		s.MemUsage = use
		s.MemLimit = readUint(filepath.Join(filepath.Dir(p), "memory.limit_in_bytes"))
	} else {
		s.MemUsage = readUint(p)
		s.MemLimit = readUint(filepath.Join(filepath.Dir(p), "memory.max"))
	}
	if host := hostMemory(); s.MemLimit == 0 || s.MemLimit > host {
		s.MemLimit = host
	}
	s.Pids = readUint(cgroupFile(st.Pid, "pids", "pids.current", "pids.current"))
	s.BlkRead, s.BlkWrite = blockIO(cgroupFile(st.Pid, "blkio", "blkio.throttle.io_service_bytes", "io.stat"))
	if st.Pid > 0 {
		// The init's /proc/PID/net/dev shows its network namespace's devices.
		s.NetRx, s.NetTx = netIO(filepath.Join("/proc", strconv.Itoa(st.Pid), "net/dev"))
	}
	return s, nil
}

// blockIO sums bytes read and written over devices from v1's
// blkio.throttle.io_service_bytes ("8:0 Read 4096") or v2's io.stat
// ("8:0 rbytes=4096 wbytes=0 ...").
func blockIO(path string) (read, write uint64) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if len(f) == 3 && (f[1] == "Read" || f[1] == "Write") {
			n, _ := strconv.ParseUint(f[2], 10, 64)
			if f[1] == "Read" {
				read += n
			} else {
				write += n
			}
			continue
		}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseUint(v, 10, 64)
			switch k {
			case "rbytes":
				read += n
			case "wbytes":
				write += n
			}
		}
	}
	return read, write
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
