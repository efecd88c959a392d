package nsexec

// #include "cinit.h"
import "C"

import (
	"encoding/binary"
	"sort"
	"unsafe"

	"golang.org/x/sys/unix"
)

// CInitEnv names the sync socket to the C init (cinit.c): its presence
// makes the constructor run the container side itself and exec the user
// program, never returning into Go.
const CInitEnv = C.CINIT_ENV

// Plan is the C init's program: ops (cinit.h) that it runs in order. The
// parent resolves what it can (flags, host paths, masks, the seccomp
// program); the C side only does what must happen in the container's
// namespaces, resolving every path inside the rootfs itself. The protocol:
//
//	step | parent                               | C init (constructor)
//	-----+--------------------------------------+------------------------------------
//	 1   | forks, sends the plan's first part   | reads it (u32 length, body),
//	     | (its first string is the comm)       | renames itself, makes the mounts
//	     |                                      | before the first cgroup mount
//	 2   | makes the cgroups, sends the second  | reads it ("next"), joins its v1
//	     | part                                 | cgroups, runs the rest of the ops
//	 3   | [prestart hooks on "hooks", "ok"]    | [sends "hooks", waits for "ok"]
//	 4   | reads "ready" (or "error")           | PATH lookup, sends "ready"
//	 5   | as internal/runtime/sync.go steps    | exec fifo (create), credentials,
//	     | 6-8                                  | capabilities, seccomp, execve
type Plan struct {
	b     []byte
	parts [][]byte
	// splitAtDevice: the next device node made starts a new part
	// (SplitBeforeDevices).
	splitAtDevice bool
	procFiles     []string // ProcFile's, not yet in b
}

// NewPlan starts a plan; comm is the name the init takes until execve.
func NewPlan(comm string) *Plan {
	p := &Plan{b: make([]byte, 4, 4096)}
	p.str(comm)
	return p
}

// Split ends a part of the plan: the init runs it while the parent makes
// the rest possible (the cgroups), then reads the next part.
func (p *Plan) Split() {
	p.op(C.CINIT_OP_NEXT)
	p.parts = append(p.parts, p.finish())
	p.b = make([]byte, 4, 4096)
}

// SplitBeforeDevices makes the first device node planned from here on
// start a new part: the parent sends it once the device cgroup's rules
// are written. Between its "deny all" and the "allow"s a mknod, or an
// open of a device node, would fail.
func (p *Plan) SplitBeforeDevices() { p.splitAtDevice = true }

func (p *Plan) finish() []byte {
	binary.LittleEndian.PutUint32(p.b, uint32(len(p.b)-4))
	return p.b
}

// Parts ends the plan with the start op and returns its parts, each as
// sent: u32 length, then the ops.
func (p *Plan) Parts() [][]byte {
	p.op(C.CINIT_OP_START)
	return append(p.parts, p.finish())
}

func (p *Plan) op(o int) {
	if len(p.procFiles) > 0 {
		files := p.procFiles
		p.procFiles = nil
		sort.Strings(files)
		for _, f := range files {
			p.ops(C.CINIT_OP_LXCFS, f)
		}
	}
	p.b = append(p.b, byte(o))
}

func (p *Plan) str(s string) {
	p.b = binary.LittleEndian.AppendUint32(p.b, uint32(len(s)))
	p.b = append(append(p.b, s...), 0)
}

func (p *Plan) num(v uint64) { p.b = binary.LittleEndian.AppendUint64(p.b, v) }

func (p *Plan) ops(o int, strs ...string) {
	p.op(o)
	for _, s := range strs {
		p.str(s)
	}
}

// JoinTasks writes "0" to a v1 tasks file, first thing.
func (p *Plan) JoinTasks(path string) { p.ops(C.CINIT_OP_JOIN_TASKS, path) }

// Unshare makes new namespaces (a cgroup namespace, once in the cgroup).
func (p *Plan) Unshare(flags uintptr) { p.op(C.CINIT_OP_UNSHARE); p.num(uint64(flags)) }

// ProcFile names a file under /proc that a mount may cover. A run of
// them goes into the plan sorted, before the next op: callers list them
// from a map, and the same config must give the same plan (the run
// plan's probe, internal/runtime/runplan.go).
func (p *Plan) ProcFile(path string) { p.procFiles = append(p.procFiles, path) }

// HostMount is a mount(2) on host paths (the rootfs bind, propagation);
// what prefixes its error.
func (p *Plan) HostMount(what, src, dst, typ string, flags uintptr, data string) {
	p.ops(C.CINIT_OP_HOST_MOUNT, what, src, dst, typ)
	p.num(uint64(flags))
	p.str(data)
}

// OpenRoot opens the rootfs: the paths of later ops resolve inside it.
func (p *Plan) OpenRoot(path string) { p.ops(C.CINIT_OP_OPEN_ROOT, path) }

// Mount kinds.
const (
	MountBind  = 1
	MountProc  = 2
	MountSysfs = 4
)

// Mount is one of the spec's mounts, options parsed.
type Mount struct {
	Source, Destination string // as in the config, for messages; Destination resolved inside the root
	SourcePath          string // what mount(2) gets: a bind's made absolute
	Type                string // "" for a bind
	Flags               uintptr
	Data                string
	Kind                int
	Propagation         []uintptr
	Recursive           *unix.MountAttr
}

// Mount makes one of the spec's mounts inside the root (rootfs.mountOne).
func (p *Plan) Mount(m Mount) {
	p.ops(C.CINIT_OP_MOUNT, m.Source, m.Destination, m.SourcePath, m.Type)
	p.num(uint64(m.Flags))
	p.str(m.Data)
	p.num(uint64(m.Kind))
	p.num(uint64(len(m.Propagation)))
	for _, f := range m.Propagation {
		p.num(uint64(f))
	}
	if m.Recursive == nil {
		p.num(0)
		p.num(0)
		p.num(0)
		return
	}
	p.num(1)
	p.num(m.Recursive.Attr_set)
	p.num(m.Recursive.Attr_clr)
}

// Hierarchy is one cgroup hierarchy under a cgroup mount.
type Hierarchy struct {
	Destination, Type, Data, Point string
	// Key is the hierarchy's controller field in /proc/self/cgroup ("" for
	// cgroup2): the init looks up its own path there once it has joined.
	Key string
}

// Cgroup is a cgroup mount: in tmpfs mode (v1, hybrid) a tmpfs holding
// one directory per hierarchy, with Links (name -> co-mounted directory).
type Cgroup struct {
	Source, Destination string
	Flags               uintptr
	ReadOnly, CgroupNS  bool
	Tmpfs               bool
	Hierarchies         []Hierarchy
	Links               [][2]string
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Cgroup makes a cgroup mount (rootfs.mountCgroup).
func (p *Plan) Cgroup(c Cgroup) {
	p.ops(C.CINIT_OP_CGROUP, c.Source, c.Destination)
	p.num(uint64(c.Flags))
	p.num(b2u(c.ReadOnly))
	p.num(b2u(c.CgroupNS))
	p.num(b2u(c.Tmpfs))
	p.num(uint64(len(c.Hierarchies)))
	for _, h := range c.Hierarchies {
		p.str(h.Destination)
		p.str(h.Type)
		p.str(h.Data)
		p.str(h.Point)
		p.str(h.Key)
	}
	p.num(uint64(len(c.Links)))
	for _, l := range c.Links {
		p.str(l[0])
		p.str(l[1])
	}
}

// Mknod makes a device node (typ: S_IFCHR, S_IFBLK, S_IFIFO).
func (p *Plan) Mknod(path string, typ, mode uint32, rdev uint64, uid, gid int) {
	if p.splitAtDevice {
		p.splitAtDevice = false
		p.Split()
	}
	p.ops(C.CINIT_OP_MKNOD, path)
	for _, v := range []uint64{uint64(typ), uint64(mode), rdev, uint64(uid), uint64(gid)} {
		p.num(v)
	}
}

// Symlink makes path -> target unless something is there.
func (p *Plan) Symlink(target, path string) { p.ops(C.CINIT_OP_SYMLINK, target, path) }

// Mkdir makes the process's cwd.
func (p *Plan) Mkdir(path string) { p.ops(C.CINIT_OP_MKDIR, path) }

// Hooks sends "hooks" and waits for "ok".
func (p *Plan) Hooks() { p.op(C.CINIT_OP_HOOKS) }

// Console opens a pty in the container, binds its slave over
// /dev/console, sends the master to the console socket sock and makes the
// slave the process's terminal; size may be nil.
// With console false (exec) there is no /dev/console, and the terminal
// becomes stdio only at execve.
func (p *Plan) Console(sock int, rows, cols uint, sized, console bool) {
	p.op(C.CINIT_OP_CONSOLE)
	p.num(uint64(sock))
	p.num(b2u(sized))
	p.num(uint64(rows))
	p.num(uint64(cols))
	p.num(b2u(console))
}

// JoinFd writes "0" to a v1 tasks file the parent opened and passed as fd.
func (p *Plan) JoinFd(fd int) { p.op(C.CINIT_OP_JOIN_FD); p.num(uint64(fd)) }

// WriteProc writes value to a /proc/self file; what prefixes the error.
func (p *Plan) WriteProc(what, file, value string) { p.ops(C.CINIT_OP_WRITE_PROC, what, file, value) }

// Keyring joins a new session keyring.
func (p *Plan) Keyring(name string) { p.ops(C.CINIT_OP_KEYRING, name) }

// Pivot makes rootfs the root.
func (p *Plan) Pivot(rootfs string, noPivot bool) {
	p.ops(C.CINIT_OP_PIVOT, rootfs)
	p.num(b2u(noPivot))
}

// Sysctl writes value to /proc/rel, beneath the container's procfs only.
func (p *Plan) Sysctl(key, rel, value string) { p.ops(C.CINIT_OP_SYSCTL, key, rel, value) }

// Mask hides path (after the pivot).
func (p *Plan) Mask(path string) { p.ops(C.CINIT_OP_MASK, path) }

// Readonly binds path read-only over itself.
func (p *Plan) Readonly(path string) { p.ops(C.CINIT_OP_READONLY, path) }

// RootReadonly remounts / read-only.
func (p *Plan) RootReadonly() { p.op(C.CINIT_OP_ROOT_RO) }

// Propagate sets / to a propagation type.
func (p *Plan) Propagate(flags uintptr) { p.op(C.CINIT_OP_PROPAGATE); p.num(uint64(flags)) }

// Hostname and Domainname set the uts namespace's names.
func (p *Plan) Hostname(h string)   { p.ops(C.CINIT_OP_HOSTNAME, h) }
func (p *Plan) Domainname(d string) { p.ops(C.CINIT_OP_DOMAINNAME, d) }

// Rlimit is one process rlimit; Type -1 is unknown (an error at exec time,
// as in the Go init).
type Rlimit struct {
	Name       string
	Type       int
	Soft, Hard uint64
}

// Process is what the C init execs and with which credentials.
type Process struct {
	Args, Env  []string
	Cwd        string
	UID, GID   uint32
	Groups     []uint32
	Umask      uint32
	Rlimits    []Rlimit
	Caps       *[5]uint64 // bounding, effective, permitted, inheritable, ambient; nil: unchanged
	LastCap    int
	Seccomp    []unix.SockFilter
	SeccompFlg uint
	NoNewPrivs bool
	ExtraFds   int
	FifoFd     int // -1: run, exec at once
}

// Process ends the plan's setup with the process to exec.
func (p *Plan) Process(pr *Process) {
	for _, a := range pr.Args {
		p.ops(C.CINIT_OP_ARG, a)
	}
	for _, e := range pr.Env {
		p.ops(C.CINIT_OP_ENV, e)
	}
	for _, r := range pr.Rlimits {
		p.ops(C.CINIT_OP_RLIMIT, r.Name)
		p.num(uint64(int64(r.Type)))
		p.num(r.Soft)
		p.num(r.Hard)
	}
	p.op(C.CINIT_OP_USER)
	p.num(uint64(pr.UID))
	p.num(uint64(pr.GID))
	p.num(uint64(pr.Umask))
	for _, g := range pr.Groups {
		p.op(C.CINIT_OP_GROUP)
		p.num(uint64(g))
	}
	p.ops(C.CINIT_OP_CWD, pr.Cwd)
	if pr.Caps != nil {
		p.op(C.CINIT_OP_CAPS)
		p.num(uint64(pr.LastCap))
		for _, m := range pr.Caps {
			p.num(m)
		}
	}
	if len(pr.Seccomp) > 0 {
		p.op(C.CINIT_OP_SECCOMP)
		p.num(uint64(pr.SeccompFlg))
		n := len(pr.Seccomp) * int(unsafe.Sizeof(pr.Seccomp[0]))
		p.str(unsafe.String((*byte)(unsafe.Pointer(&pr.Seccomp[0])), n))
	}
	if pr.NoNewPrivs {
		p.op(C.CINIT_OP_NNP)
	}
	p.op(C.CINIT_OP_FDS)
	p.num(uint64(pr.ExtraFds))
	p.num(uint64(int64(pr.FifoFd)))
}
