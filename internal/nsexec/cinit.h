// The plan that jinn-runtime's parent hands to the C init (cinit.c): the
// op codes, shared by the Go encoder (cinit.go, through cgo) and the C
// interpreter, so the two cannot drift apart.
#ifndef JINN_CINIT_H
#define JINN_CINIT_H

// Env names the sync socket when the parent chose the C init.
#define CINIT_ENV "_JINN_CINIT"

// Argument notation: s = string (u32 length, bytes, NUL), n = u64.
enum cinit_op {
	CINIT_OP_END = 0,
	CINIT_OP_JOIN_TASKS,   // s path: write "0" (v1 tasks file)
	CINIT_OP_UNSHARE,      // n flags
	CINIT_OP_LXCFS,        // s path: a /proc file that may be mounted over
	CINIT_OP_HOST_MOUNT,   // s what, s src, s dst, s type, n flags, s data (host paths)
	CINIT_OP_OPEN_ROOT,    // s path: the rootfs, resolved inside from now on
	CINIT_OP_MOUNT,        // see cinit.c op_mount
	CINIT_OP_CGROUP,       // see cinit.c op_cgroup
	CINIT_OP_MKNOD,        // s path, n type, n mode, n rdev, n uid, n gid
	CINIT_OP_SYMLINK,      // s target, s path
	CINIT_OP_MKDIR,        // s path (cwd)
	CINIT_OP_HOOKS,        // send "hooks", wait for "ok"
	CINIT_OP_WRITE_PROC,   // s what, s file (/proc/self/...), s value
	CINIT_OP_KEYRING,      // s name
	CINIT_OP_PIVOT,        // s rootfs, n nopivot
	CINIT_OP_SYSCTL,       // s key, s rel (under /proc), s value
	CINIT_OP_MASK,         // s path
	CINIT_OP_READONLY,     // s path
	CINIT_OP_ROOT_RO,      // remount / read-only
	CINIT_OP_PROPAGATE,    // n flags on /
	CINIT_OP_HOSTNAME,     // s name
	CINIT_OP_DOMAINNAME,   // s name
	CINIT_OP_ARG,          // s
	CINIT_OP_ENV,          // s
	CINIT_OP_RLIMIT,       // s name, n type (~0: unknown), n soft, n hard
	CINIT_OP_USER,         // n uid, n gid, n umask
	CINIT_OP_GROUP,        // n gid (additional)
	CINIT_OP_CWD,          // s
	CINIT_OP_CAPS,         // n last, n bounding, effective, permitted, inheritable, ambient
	CINIT_OP_SECCOMP,      // n flags, s filter (struct sock_filter[])
	CINIT_OP_NNP,          // no_new_privs
	CINIT_OP_FDS,          // n extra fds (kept at 3..), n fifo fd (~0: run)
	CINIT_OP_START,        // lookup, "ready", fifo, credentials, execve
	CINIT_OP_NEXT,         // read the next part of the plan (u32 length, body)
	CINIT_OP_CONSOLE,      // n console socket fd, n sized, n rows, n cols, n console (bind /dev/console, dup now)
	CINIT_OP_JOIN_FD,      // n fd: write "0" (a v1 tasks file the parent opened)
};

#endif
