// Package nsexec is the small C stage of jinn-runtime that runs before the Go
// runtime starts threads: it joins namespaces by path (setns into a user,
// mount or time namespace needs a single-threaded process), sets time
// namespace offsets, and forks once so a joined pid namespace takes effect.
// Importing the package links the constructor into the binary.
//
// The protocol on the socket whose number is in _JINN_NSEXEC:
//
//	step | parent (create / exec)              | child (constructor, then Go)
//	-----+-------------------------------------+-------------------------------------
//	 1   | writes u32 length + header lines:    | reads the header, unsets the env
//	     |   "<ns> <path>"  join (ns: user,     |
//	     |    ipc, uts, network, pid, mount,    |
//	     |    cgroup, time)                     |
//	     |   "unshare <ns>"  new, once joined   |
//	     |    (pid needs "fork")                |
//	     |   "offset <clock> <sec> <nsec>"      |
//	     |   "fork"                             |
//	 2   |                                     | opens every path, setns user first,
//	     |                                     | then the rest in header order
//	 2b  |                                     | unshare every "unshare" namespace
//	     |                                     | (owned by the joined user namespace)
//	 3   |                                     | offsets: unshare(CLONE_NEWTIME) and
//	     |                                     | writes /proc/self/timens_offsets
//	 4   |                                     | fork: clone(CLONE_PARENT); the middle
//	     |                                     | process writes {"type":"pid"} and
//	     |                                     | exits 0; the child goes on into Go
//	 5   | reads JSON lines: "pid" (if fork),  | Go: the runtime's own sync protocol
//	     | "error", then the runtime's protocol| (internal/runtime/sync.go)
//
// Any failure in steps 1-4 writes {"type":"error","msg":...} and exits 1.
//
// Before anything else, in any init (_JINN_INIT, CInitEnv or Env set), the
// constructor makes the process non-dumpable until its execve of the user
// program, so that nothing in the container can ptrace it or open its
// /proc/PID files (CVE-2016-9962; nsexec.c, nondumpable).
//
// Independently of the socket protocol, and before it, the constructor
// writes "0" to each fd listed in CgroupEnv ("5,6,7": the container's v1
// tasks files, opened by the parent) and closes them: the process joins its
// cgroup while it still has one thread (see cgroups.Entry). A failure is
// reported the same way, on the socket named by _JINN_INIT.
package nsexec

// #cgo CFLAGS: -Wall -O2
import "C"

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Env is the variable that names the socket to the constructor.
const Env = "_JINN_NSEXEC"

// CgroupEnv names the fds of the v1 tasks files the constructor writes "0"
// to, comma-separated.
const CgroupEnv = "_JINN_CGROUP"

// Join is one namespace to enter by path, or with an empty Path one to
// make new after the joins (when the user namespace is joined, the others
// must be made inside it to be owned by it).
type Join struct {
	Type string // runtime-spec name: pid, network, mount, ipc, uts, user, cgroup, time
	Path string
}

// Header encodes the constructor's instructions.
func Header(joins []Join, timeOffsets map[string][2]int64, fork bool) []byte {
	var b strings.Builder
	for _, j := range joins {
		if j.Path == "" {
			fmt.Fprintf(&b, "unshare %s\n", j.Type)
			continue
		}
		fmt.Fprintf(&b, "%s %s\n", j.Type, j.Path)
	}
	for clock, o := range timeOffsets {
		fmt.Fprintf(&b, "offset %s %d %d\n", clock, o[0], o[1])
	}
	if fork {
		b.WriteString("fork\n")
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(b.Len()))
	return append(out, b.String()...)
}
