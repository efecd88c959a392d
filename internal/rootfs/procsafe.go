package rootfs

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// checkKernelFSTarget refuses to mount procfs or sysfs anywhere but on a
// real directory (or nothing) at the destination: an image with a symlink
// at /proc would get procfs, and the masks meant for it, somewhere else,
// and its own files at /proc (the CVE-2019-16884 class; runc refuses too).
func checkKernelFSTarget(r *Root, m specs.Mount) error {
	if m.Type != "proc" && m.Type != "sysfs" {
		return nil
	}
	fd, err := r.OpenFD(m.Destination, unix.O_PATH|unix.O_NOFOLLOW)
	if err != nil {
		return nil // missing: MkdirAll makes a directory
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("%s must be mounted on a directory, and the rootfs has something else there (a symlink?)", m.Type)
	}
	return nil
}

// nullDevice opens /dev/null of the current root for bind mounts on masked
// paths, and checks it really is the null device: an image whose /dev/null
// is a symlink to, say, a host sysctl would otherwise get that file bound
// writable over every masked path (CVE-2025-31133).
func nullDevice() (int, error) {
	fd, err := unix.Open("/dev/null", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/null for masking: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		unix.Close(fd)
		return -1, fmt.Errorf("/dev/null in the container is not the null device (mode %#o): refusing to mask with it", st.Mode)
	}
	return fd, nil
}
