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
//
// The fd is moved to a number the child's fd shuffle between fork and
// execve never touches (see exeFdFloor) and that fits the fd table the
// process starts with: growing the table of a multi-threaded process waits
// for an RCU grace period, 5-12 ms on this host, more than all the rest of
// a create.
func sealedExe(childFds []uintptr) (string, func(), error) {
	floor := exeFdFloor(childFds)
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err == unix.EPERM {
		return sealedCopy(floor)
	}
	if err != nil {
		return "", nil, fmt.Errorf("seal own binary: clone mount: %w", err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return "", nil, fmt.Errorf("seal own binary: make read-only: %w", err)
	}
	hi, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, floor)
	unix.Close(fd)
	if err != nil {
		return "", nil, fmt.Errorf("seal own binary: dup: %w", err)
	}
	return "/proc/self/fd/" + strconv.Itoa(hi), func() { unix.Close(hi) }, nil
}

// sealedCopy is a memfd copy of the binary sealed against writes and
// resizing: nobody can write it.
func sealedCopy(floor int) (string, func(), error) {
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
	hi, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, floor)
	unix.Close(fd)
	if err != nil {
		return "", nil, fmt.Errorf("seal own binary: dup: %w", err)
	}
	return "/proc/self/fd/" + strconv.Itoa(hi), func() { unix.Close(hi) }, nil
}

// exeFdFloor is the lowest fd number that syscall.ForkExec's child, given
// childFds (fd i of the child is childFds[i]), leaves alone before execve:
// it dup2s onto 0..len-1, and first moves fds out of the way to numbers
// from max(len, highest fd)+1 on, at most len+1 of them.
func exeFdFloor(childFds []uintptr) int {
	next := len(childFds)
	for _, fd := range childFds {
		next = max(next, int(fd))
	}
	return next + 1 + len(childFds) + 1
}
