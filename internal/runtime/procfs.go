package runtime

import (
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// writeProcSys writes a sysctl through the container's procfs only: the
// file is resolved beneath /proc without crossing a mount or following a
// symlink, and must be on procfs. A bind mount over /proc/sys/... (from the
// config or a racing container) would otherwise redirect the runtime's
// write to whatever it covers (the CVE-2025-52881 class).
func writeProcSys(key, val string) error {
	if key == "" || strings.Contains(key, "..") || strings.HasPrefix(key, "/") {
		return fmt.Errorf("invalid sysctl %q", key)
	}
	proc, err := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("sysctl %s: open /proc: %w", key, err)
	}
	defer unix.Close(proc)
	if err := onProcfs(proc); err != nil {
		return fmt.Errorf("sysctl %s: /proc: %w", key, err)
	}
	rel := filepath.Join("sys", strings.ReplaceAll(key, ".", "/"))
	if strings.Contains(key, "/") {
		rel = filepath.Join("sys", key) // net/ipv4/conf/eth0.1/... style
	}
	fd, err := unix.Openat2(proc, rel, &unix.OpenHow{
		Flags:   unix.O_WRONLY | unix.O_CLOEXEC | unix.O_TRUNC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err == unix.EXDEV {
		return fmt.Errorf("sysctl %s: /proc/%s is covered by a mount, not procfs: refusing to write through it", key, rel)
	}
	if err != nil {
		return fmt.Errorf("sysctl %s: %w", key, err)
	}
	defer unix.Close(fd)
	if err := onProcfs(fd); err != nil {
		return fmt.Errorf("sysctl %s: %w", key, err)
	}
	if _, err := unix.Write(fd, []byte(val)); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", key, val, err)
	}
	return nil
}

func onProcfs(fd int) error {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return err
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("not on procfs (filesystem %#x)", st.Type)
	}
	return nil
}
