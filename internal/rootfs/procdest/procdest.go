// Package procdest is runc's rule for what may be mounted on or below
// /proc, alone: the engine checks -v and --mount destinations with it
// before a container exists, without linking the runtime's root
// filesystem code (and its C stage) into the CLI.
package procdest

import (
	"fmt"
	"path"

	"github.com/jinn-containers/jinn/internal/clip"
)

// LxcfsFiles are the files under /proc that may be mounted over (lxcfs's
// emulated ones; runc's list).
var LxcfsFiles = map[string]bool{
	"/proc/cpuinfo": true, "/proc/diskstats": true, "/proc/meminfo": true, "/proc/stat": true,
	"/proc/swaps": true, "/proc/uptime": true, "/proc/loadavg": true, "/proc/slabinfo": true,
	"/proc/net/dev": true, "/proc/sys/kernel/ns_last_pid": true, "/proc/sys/crypto/fips_enabled": true,
}

// Check is runc's rule for a mount whose destination, resolved inside the
// root, is dest: only procfs goes on /proc (a tmpfs or a bind of anything
// else there would hide the kernel's view and the masks made on it), and
// nothing goes below /proc but lxcfs's files.
func Check(dest string, procfs bool) error {
	dest = path.Clean("/" + dest)
	switch {
	case dest == "/proc":
		if procfs {
			return nil
		}
		return fmt.Errorf("%s cannot be mounted because only procfs may be mounted on /proc", clip.Quote(dest))
	case len(dest) > len("/proc/") && dest[:len("/proc/")] == "/proc/" && !LxcfsFiles[dest]:
		return fmt.Errorf("%s cannot be mounted because it is inside /proc (only lxcfs's procfs files may be replaced)", clip.Quote(dest))
	}
	return nil
}
