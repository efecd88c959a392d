package runtime

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// sealedExe returns a path that executes a sealed in-memory copy of the
// running binary, and a cleanup. The container's init and exec'd processes
// are this binary until their execve, and a process in the container can
// reach them through /proc/<pid>/exe: with the host binary behind it, it
// could reopen it for writing and replace jinn-runtime on the host
// (CVE-2019-5736). A memfd sealed against writes and resizing cannot be
// written by anyone, so the magic link leads nowhere useful.
//
// Cost: one memfd and a sendfile of the binary from the page cache (about
// 1 ms for 8 MB), paid once per create or exec.
func sealedExe() (string, func(), error) {
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
