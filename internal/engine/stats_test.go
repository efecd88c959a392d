package engine

import (
	"os"
	"path/filepath"
	"testing"
)

func TestBlockAndNetIO(t *testing.T) {
	d := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v1 := write("v1", "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:16 Read 4\nTotal 4612\n")
	if r, w := blockIO(v1); r != 4100 || w != 512 {
		t.Errorf("v1 blkio = %d, %d", r, w)
	}
	v2 := write("v2", "8:0 rbytes=4096 wbytes=100 rios=1 wios=1 dbytes=0 dios=0\n8:16 rbytes=4 wbytes=0\n")
	if r, w := blockIO(v2); r != 4100 || w != 100 {
		t.Errorf("v2 io.stat = %d, %d", r, w)
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
