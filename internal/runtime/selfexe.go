package runtime

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// sealedExe returns a path that executes the running binary through a
// read-only detached bind mount of it, and a cleanup. The container's init
// and exec'd processes are this binary until their execve, and a process in
// the container can reach them through /proc/<pid>/exe: with a writable
// mount behind it, it could keep a handle, reopen it for writing once the
// binary is no longer busy, and replace jinn-runtime on the host
// (CVE-2019-5736). Through a read-only mount that open fails with EROFS,
// and the mount, detached, is in no namespace the container could remount.
//
// Cost: two syscalls (open_tree, mount_setattr), where a sealed memfd copy
// of the binary costs about 1 ms per create or exec. Callers without
// CAP_SYS_ADMIN (rootless) cannot clone a mount and get the copy.
func sealedExe() (string, func(), error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err == unix.EPERM {
		return sealedCopy()
	}
	if err != nil {
		return "", nil, fmt.Errorf("seal own binary: clone mount: %w", err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return "", nil, fmt.Errorf("seal own binary: make read-only: %w", err)
	}
	// A high number, so the child's dup2s of its ExtraFiles never land on
	// it between fork and execve.
	hi, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 1000)
	unix.Close(fd)
	if err != nil {
		return "", nil, fmt.Errorf("seal own binary: dup: %w", err)
	}
	return "/proc/self/fd/" + strconv.Itoa(hi), func() { unix.Close(hi) }, nil
}

// sealedCopy is a memfd copy of the binary sealed against writes and
// resizing: nobody can write it.
func sealedCopy() (string, func(), error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return "", nil, fmt.Errorf("open own binary: %w", err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return "", nil, err
	}
	fd, err := unix.MemfdCreate("jinn-runtime", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return "", nil, fmt.Errorf("memfd_create: %w", err)
	}
	fail := func(what string, err error) (string, func(), error) {
		unix.Close(fd)
		return "", nil, fmt.Errorf("seal own binary: %s: %w", what, err)
	}
	if err := unix.Ftruncate(fd, st.Size()); err != nil {
		return fail("ftruncate", err)
	}
	for off := int64(0); off < st.Size(); {
		var o int64 = off
		n, err := unix.Sendfile(fd, int(src.Fd()), &o, int(st.Size()-off))
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return fail("sendfile", err)
		}
		if n == 0 {
			return fail("sendfile", fmt.Errorf("short copy at %d of %d", off, st.Size()))
		}
		off += int64(n)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		return fail("add seals", err)
	}
	// A high number, so the child's dup2s of its ExtraFiles never land on
	// it between fork and execve.
	hi, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 1000)
	unix.Close(fd)
	if err != nil {
		return "", nil, fmt.Errorf("seal own binary: dup: %w", err)
	}
	return "/proc/self/fd/" + strconv.Itoa(hi), func() { unix.Close(hi) }, nil
}
