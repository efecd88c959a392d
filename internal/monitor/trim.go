package monitor

import (
	"bufio"
	"os"
	"syscall"
)

// MemoryLimit is the monitor's Go memory limit (it runs with the GC
// percentage off, see cmd/jinn-monitor): far above its ~1 MiB of Go
// memory, so the GC does not run in steady state, and low enough that
// garbage from restarts, health checks and attach traffic is collected.
const MemoryLimit = 8 << 20

// trim gives back what only start-up needed, once the container runs: the
// page-table entries of the executable's read-only segments. Go's start-up
// walks most of its code and its pclntab (function tables for stack maps),
// and the kernel's fault-around maps them 64 KiB at a time, so a monitor
// that then sleeps keeps ~1.5 MiB of its own binary mapped. MADV_DONTNEED
// on a private, never-written file mapping only drops the mapping: the
// pages stay in the page cache (shared by all monitors) and fault back in,
// without I/O, when the monitor next runs that code. A mapping with any
// private (written) page is left alone: in a PIE build, relocated
// read-only data would be lost.
//
// The start-up heap garbage (~50 KiB) is left alone: debug.FreeOSMemory
// would run a GC whose metadata costs more than it frees.
func trim() {
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
	var ranges [8][2]uintptr
	nr := 0
	defer func() {
		f.Close()
		for _, rg := range ranges[:nr] {
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
			candidate = len(rest) >= 5 && rest[2] != 'w' && end > start && hasSuffix(rest, " "+exe)
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
