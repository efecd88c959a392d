package rootfs

import "testing"

func TestCheckProcDest(t *testing.T) {
	for _, c := range []struct {
		dest   string
		procfs bool
		ok     bool
	}{
		{"/proc", true, true}, {"/proc", false, false}, {"/proc/", false, false},
		{"/proc/meminfo", false, true}, {"/proc/sys/kernel/ns_last_pid", false, true},
		{"/proc/sys", false, false}, {"/proc/self/x", false, false},
		{"/procfoo", false, true}, {"/data", false, true}, {"/", false, true},
	} {
		if err := CheckProcDest(c.dest, c.procfs); (err == nil) != c.ok {
			t.Errorf("CheckProcDest(%q, %v) = %v, want ok=%v", c.dest, c.procfs, err, c.ok)
		}
	}
}
