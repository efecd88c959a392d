package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
)

func TestStatsFigures(t *testing.T) {
	d := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The cgroup's counters (read by internal/cgroups from v1's
	// blkio.throttle.io_service_bytes_recursive or v2's io.stat) summed
	// over devices, the page cache left out of memory.
	cs := &cgroups.Stats{}
	cs.Memory.Usage.Usage, cs.Memory.Raw = 1000, map[string]uint64{"total_inactive_file": 300}
	cs.Blkio.IoServiceBytesRecursive = []cgfs.BlkioEntry{
		{Major: 8, Op: "Read", Value: 4096}, {Major: 8, Op: "Write", Value: 512}, {Major: 8, Op: "Sync", Value: 9},
		{Major: 8, Minor: 16, Op: "Read", Value: 4},
	}
	s := &Stats{}
	cgroupFigures(s, cs)
	if s.BlkRead != 4100 || s.BlkWrite != 512 || s.MemUsage != 700 {
		t.Errorf("figures from the cgroup: %+v", s)
	}
	dev := write("dev", `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     999       9    0    0    0     0          0         0      999       9    0    0    0     0       0          0
  eth0:    1500      10    0    0    0     0          0         0      700       5    0    0    0     0       0          0
`)
	if rx, tx := netIO(dev); rx != 1500 || tx != 700 {
		t.Errorf("net/dev = %d, %d", rx, tx)
	}
}
