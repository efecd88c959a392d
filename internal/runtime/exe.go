package runtime

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// sealedExe returns this binary as a read-only detached bind mount, and the
// path to execute it by. The container's init and exec'd processes run
// this binary inside the container; a process there could otherwise open
// /proc/PID/exe and, once the binary is no longer busy, write the host's
// jinn-runtime (CVE-2019-5736). Through a read-only mount that open fails
// with EROFS. Two syscalls, instead of runc's copy of the whole binary into
// a memfd.
func sealedExe() (*os.File, string, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, "", fmt.Errorf("clone runtime binary mount: %w", err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return nil, "", fmt.Errorf("seal runtime binary: %w", err)
	}
	return os.NewFile(uintptr(fd), "jinn-runtime"), "/proc/self/fd/" + strconv.Itoa(fd), nil
}
