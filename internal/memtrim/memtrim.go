// Package memtrim gives back what a long-lived, mostly idle process (a
// container's monitor, the API service) holds only because it once ran.
package memtrim

import (
	"bufio"
	"os"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"
)

// WhileIdle trims a server whenever it has been idle for a second: no
// request in flight (*active is 0) since *lastDone (unix nanoseconds). It
// frees the heap (debug.FreeOSMemory) and drops the mappings of the code
// (Text) once per idle spell, and drops them again when code that runs
// meanwhile (timers, the GC) mapped folios back. It returns when stop is
// closed. It lives here, not in the server, so that while the server
// waits only this package's folio of the binary, the time package's and
// the runtime's are mapped: the caller's code does not run.
func WhileIdle(active, lastDone *atomic.Int64, stop <-chan struct{}) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	trimmed, mapped := int64(0), int64(0)
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		last := lastDone.Load()
		if active.Load() != 0 || time.Since(time.Unix(0, last)) <= time.Second {
			continue
		}
		if last != trimmed {
			debug.FreeOSMemory()
		} else if Mapped() <= mapped+256<<10 {
			continue
		}
		Text()
		trimmed, mapped = last, Mapped()
	}
}

// Text drops the page-table entries of the read-only segments of the
// executable and of the shared libraries it maps. Go's start-up walks most of its code and its pclntab
// (function tables for stack maps), and the kernel's fault-around maps
// them 64 KiB at a time, or 2 MiB at a time where the page cache holds the
// binary in huge folios (a freshly written or read file on ext4 and
// tmpfs), so a process that then sleeps keeps much of its binary mapped:
// ~1.5 MiB of a monitor's, nearly all 17 MiB of the API service's.
// MADV_DONTNEED on a private, never-written file mapping only drops the
// mapping: the pages stay in the page cache (shared with every other
// process running the binary) and fault back in, without I/O, when the
// process next runs that code; MADV_NOHUGEPAGE first makes those faults
// map 64 KiB around the page, not its whole 2 MiB folio. A mapping with any
// private (written) page is left alone: in a PIE build, relocated
// read-only data would be lost. It allocates nothing on the heap (a
// monitor runs with the GC off).
func Text() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	// Streamed through one small buffer: with the GC off, a ReadFile of
	// smaps (~30 KiB) would stay resident.
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	r := bufio.NewReaderSize(f, 4096)
	// A mapping is a header line "start-end perms offset dev inode   path"
	// followed by "Key:   value kB" lines, Anonymous among them.
	var start, end uintptr
	candidate := false
	// The ranges are dropped together at the end, so that as little code
	// as possible runs (and faults pages back) after the first.
	var ranges [16][2]uintptr
	nr := 0
	defer func() {
		f.Close()
		for _, rg := range ranges[:nr] {
			syscall.Syscall(syscall.SYS_MADVISE, rg[0], rg[1]-rg[0], syscall.MADV_NOHUGEPAGE)
			syscall.Syscall(syscall.SYS_MADVISE, rg[0], rg[1]-rg[0], syscall.MADV_DONTNEED)
		}
	}()
	for {
		line, err := r.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
		if s, rest := hexPrefix(line); len(rest) > 0 && rest[0] == '-' {
			e, rest := hexPrefix(rest[1:])
			start, end = s, e
			rest = trimNewline(rest)
			candidate = len(rest) >= 5 && rest[2] != 'w' && rest[4] == 'p' && end > start &&
				(hasSuffix(rest, " "+exe) || sharedLib(rest))
			continue
		}
		if candidate && hasPrefix(line, "Anonymous:") {
			if anonZero(line[len("Anonymous:"):]) && nr < len(ranges) {
				ranges[nr] = [2]uintptr{start, end}
				nr++
			}
			candidate = false
		}
	}
}

// sharedLib reports whether a smaps header's path is a shared library
// ("/usr/lib/x86_64-linux-gnu/libc.so.6"): a dynamically linked binary
// maps libc and the loader, whose code an idle Go process does not run.
func sharedLib(header []byte) bool {
	slash := -1
	for i := len(header) - 1; i >= 0; i-- {
		if header[i] == '/' {
			slash = i
			break
		}
		if header[i] == ' ' {
			return false
		}
	}
	if slash < 0 {
		return false
	}
	name := header[slash+1:]
	for i := 0; i+3 <= len(name); i++ {
		if string(name[i:i+3]) == ".so" && (i+3 == len(name) || name[i+3] == '.') {
			return true
		}
	}
	return false
}

// Mapped is the process's resident file-backed memory in bytes (statm's
// "shared": pages of mapped files), read without the heap.
func Mapped() int64 {
	fd, err := syscall.Open("/proc/self/statm", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	var buf [128]byte
	n, _ := syscall.Read(fd, buf[:])
	syscall.Close(fd)
	// "size resident shared text lib data dt", in pages.
	field, v := 0, int64(0)
	for _, c := range buf[:max(n, 0)] {
		if c == ' ' {
			if field == 2 {
				break
			}
			field, v = field+1, 0
			continue
		}
		v = v*10 + int64(c-'0')
	}
	if field != 2 {
		return 0
	}
	return v * int64(syscall.Getpagesize())
}

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// anonZero reports whether a smaps value ("   0 kB") is zero.
func anonZero(v []byte) bool {
	for _, c := range v {
		if c >= '1' && c <= '9' {
			return false
		}
		if c == 'k' {
			break
		}
	}
	return true
}

func hexPrefix(b []byte) (uintptr, []byte) {
	var n uintptr
	i := 0
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | uintptr(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | uintptr(c-'a'+10)
		default:
			return n, b[i:]
		}
	}
	return n, b[i:]
}

func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

func hasSuffix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}
