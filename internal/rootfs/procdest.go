package rootfs

import (
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/rootfs/procdest"
)

// lxcfsFiles are the files under /proc that may be mounted over.
var lxcfsFiles = procdest.LxcfsFiles

// CheckProcDest is runc's rule for a mount destination in or on /proc
// (procdest.Check).
func CheckProcDest(dest string, procfs bool) error { return procdest.Check(dest, procfs) }

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
