package rootfs

import (
	"fmt"
	"path"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// lxcfsFiles are the files under /proc that may be mounted over (lxcfs's
// emulated ones; runc's list).
var lxcfsFiles = map[string]bool{
	"/proc/cpuinfo": true, "/proc/diskstats": true, "/proc/meminfo": true, "/proc/stat": true,
	"/proc/swaps": true, "/proc/uptime": true, "/proc/loadavg": true, "/proc/slabinfo": true,
	"/proc/net/dev": true, "/proc/sys/kernel/ns_last_pid": true, "/proc/sys/crypto/fips_enabled": true,
}

// CheckProcDest is runc's rule for a mount whose destination, resolved
// inside the root, is dest: only procfs goes on /proc (a tmpfs or a bind
// of anything else there would hide the kernel's view and the masks made
// on it), and nothing goes below /proc but lxcfs's files.
func CheckProcDest(dest string, procfs bool) error {
	dest = path.Clean("/" + dest)
	switch {
	case dest == "/proc":
		if procfs {
			return nil
		}
		return fmt.Errorf("%q cannot be mounted because only procfs may be mounted on /proc", clipPath(dest))
	case len(dest) > len("/proc/") && dest[:len("/proc/")] == "/proc/" && !lxcfsFiles[dest]:
		return fmt.Errorf("%q cannot be mounted because it is inside /proc (only lxcfs's procfs files may be replaced)", clipPath(dest))
	}
	return nil
}

// checkProcMount applies CheckProcDest to a mount of the spec, its
// destination resolved through the image's symlinks first.
func checkProcMount(r *Root, c *Config, m specs.Mount) error {
	dest, err := r.Resolve(m.Destination)
	if err != nil {
		return nil // the mount itself fails with the real error
	}
	if dest != "/proc" {
		return CheckProcDest(dest, false)
	}
	procfs := m.Type == "proc"
	if !procfs && isBind(m) {
		src := m.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(c.Bundle, src)
		}
		var fs unix.Statfs_t
		var st unix.Stat_t
		// A bind of a procfs' root (its inode 1) is procfs.
		procfs = unix.Statfs(src, &fs) == nil && fs.Type == unix.PROC_SUPER_MAGIC &&
			unix.Stat(src, &st) == nil && st.Ino == 1
	}
	return CheckProcDest(dest, procfs)
}

// clipPath keeps a path in a message readable.
func clipPath(p string) string {
	if len(p) > 100 {
		return p[:97] + "..."
	}
	return p
}
