// The C init of jinn-runtime: the container side of create and run for
// the common configs, with no Go runtime start in the container's process.
// The parent (internal/runtime/cinit.go) chose it, resolved and encoded
// everything it could (mount flags, host paths, capability masks, the
// seccomp program, cgroup hierarchies) into a plan of ops (cinit.h); this
// file only interprets the ops in order, with the same path-safety rules
// as the Go code (internal/rootfs, internal/fsroot): every path inside the
// rootfs is resolved by openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS),
// missing directories are made one component at a time, and mounts go onto
// the opened descriptor (/proc/self/fd/N). Errors go to the parent as one
// JSON line, {"type":"error","msg":...}, in the Go init's wording.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cinit.h"

#ifndef MOUNT_ATTR_RDONLY
struct mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define PATHMAX 4096
#define MAXARGS 1024

static int sfd = -1;      // sync socket
static int fifo_wfd = -1; // exec fifo, once open for writing
static int rootfd = -1;   // the rootfs (O_PATH), paths inside resolve from it
static const char *lxcfs[32];
static int nlxcfs;

// The process to exec, collected from the ops before CINIT_OP_START.
static struct {
	char *argv[MAXARGS + 1], *envp[MAXARGS + 2];
	int argc, envc;
	struct { const char *name; uint64_t type, soft, hard; } rlim[32];
	int nrlim;
	uint64_t uid, gid, umask;
	gid_t groups[256];
	int ngroups;
	const char *cwd;
	int caps;
	uint64_t last, capset[5]; // bounding, effective, permitted, inheritable, ambient
	struct sock_fprog prog;
	uint64_t seccomp_flags;
	int nnp;
	uint64_t extra, fifo;
} P = {.umask = 022, .fifo = ~0ULL};

// errstr is Go's wording of an errno: glibc's text, lower-cased first.
static const char *errstr(int e)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] += 'a' - 'A';
	return buf;
}

// die sends the formatted message to the parent (and to start through the
// fifo, once open) and exits 1.
__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	char msg[2048], out[4200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fifo_wfd >= 0)
		(void)!write(fifo_wfd, msg, strlen(msg));
	size_t o = snprintf(out, sizeof(out), "{\"type\":\"error\",\"msg\":\"");
	for (const unsigned char *p = (const unsigned char *)msg; *p && o < sizeof(out) - 16; p++) {
		if (*p == '"' || *p == '\\')
			o += snprintf(out + o, 3, "\\%c", *p);
		else if (*p < 0x20)
			o += snprintf(out + o, 7, "\\u%04x", *p);
		else
			out[o++] = *p;
	}
	o += snprintf(out + o, sizeof(out) - o, "\"}\n");
	(void)!write(sfd, out, o);
	_exit(1);
}

static void sendmsg_type(const char *type)
{
	char out[64];
	int n = snprintf(out, sizeof(out), "{\"type\":\"%s\"}\n", type);
	if (write(sfd, out, n) != n)
		die("send %s: %s", type, errstr(errno));
}

// ---- the plan ----

static const char *plan, *pend;
static void read_part(void);

static uint64_t num(void)
{
	uint64_t v;
	if (pend - plan < 8)
		die("cinit: plan truncated");
	memcpy(&v, plan, 8);
	plan += 8;
	return v;
}

static const char *str_len(uint32_t *lenp)
{
	uint32_t n;
	if (pend - plan < 4)
		die("cinit: plan truncated");
	memcpy(&n, plan, 4);
	plan += 4;
	if ((uint64_t)(pend - plan) < (uint64_t)n + 1 || plan[n] != 0)
		die("cinit: plan truncated");
	const char *s = plan;
	plan += n + 1;
	if (lenp)
		*lenp = n;
	return s;
}

static const char *str(void) { return str_len(NULL); }

static int readfull(int fd, void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t r = read(fd, (char *)buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += r;
	}
	return 0;
}

// ---- paths inside the root (internal/fsroot) ----

static const char *fdpath(int fd)
{
	static char buf[4][32];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "/proc/self/fd/%d", fd);
	return buf[i];
}

// clean makes in a clean path relative to the root (fsroot.Clean): ""
// for the root itself.
static void clean(char *out, const char *in)
{
	char tmp[PATHMAX];
	size_t n = 0;
	snprintf(tmp, sizeof(tmp), "%s", in);
	for (char *save = NULL, *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		if (n > 0)
			out[n++] = '/';
		size_t l = strlen(c);
		if (n + l >= PATHMAX - 1)
			break;
		memcpy(out + n, c, l);
		n += l;
	}
	out[n] = 0;
}

static int openroot(const char *rel, uint64_t flags)
{
	char c[PATHMAX];
	clean(c, rel);
	struct open_how how = {.flags = flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd;
	do
		fd = syscall(SYS_openat2, rootfd, c[0] ? c : ".", &how, sizeof(how));
	while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	return fd;
}

// fail_open reports a failed openroot as fsroot does.
__attribute__((noreturn)) static void fail_open(const char *prefix, const char *rel)
{
	char c[PATHMAX];
	clean(c, rel);
	if (errno == EXDEV)
		die("%s%s: path leaves the root (symlink or .. pointing outside)", prefix, c);
	die("%sopen %s: %s", prefix, c[0] ? c : ".", errstr(errno));
}

static int statroot(const char *rel, struct stat *st)
{
	int fd = openroot(rel, O_PATH);
	if (fd < 0)
		return -1;
	int r = fstat(fd, st);
	close(fd);
	return r;
}

// parentdir opens rel's directory and points *base at its last name.
static int parentdir(const char *rel, char *c, const char **base)
{
	clean(c, rel);
	char *slash = strrchr(c, '/');
	if (slash == NULL) {
		*base = c;
		return openroot("", O_PATH | O_DIRECTORY);
	}
	*slash = 0;
	*base = slash + 1;
	int fd = openroot(c, O_PATH | O_DIRECTORY);
	*slash = '/';
	return fd;
}

// mkdir_all is fsroot.MkdirAll with mode 0755: a dangling symlink on the
// way gets its target made, resolved inside the root.
static void mkdir_all(const char *prefix, const char *rel, int depth)
{
	char c[PATHMAX], cur[PATHMAX] = "";
	struct stat st;
	clean(c, rel);
	if (depth > 40)
		die("%smkdir %s: %s", prefix, c, errstr(ELOOP));
	if (!c[0] || (statroot(c, &st) == 0 && S_ISDIR(st.st_mode)))
		return;
	for (char *p = c;;) {
		char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - c) : strlen(c);
		memcpy(cur, c, l);
		cur[l] = 0;
		if (statroot(cur, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				die("%smkdir %s: %s is not a directory", prefix, c, cur);
		} else {
			char pc[PATHMAX], target[PATHMAX];
			const char *base;
			int dir = parentdir(cur, pc, &base);
			if (dir < 0)
				fail_open(prefix, cur);
			int err = 0;
			if (mkdirat(dir, base, 0755) < 0)
				err = errno;
			else if (fchmodat(dir, base, 0755, 0) < 0)
				err = errno;
			ssize_t n = -1;
			if (err == EEXIST)
				n = readlinkat(dir, base, target, sizeof(target) - 1);
			close(dir);
			if (n > 0) { // a dangling symlink: make what it points to
				char t[2 * PATHMAX + 2];
				target[n] = 0;
				if (target[0] == '/') {
					mkdir_all(prefix, target, depth + 1);
				} else {
					char *d = strrchr(cur, '/');
					snprintf(t, sizeof(t), "%.*s/%s", d ? (int)(d - cur) : 0, cur, target);
					mkdir_all(prefix, t, depth + 1);
				}
			} else if (err && err != EEXIST) {
				die("%smkdir %s: %s", prefix, cur, errstr(err));
			}
		}
		if (!slash)
			break;
		p = slash + 1;
	}
}

// mkfile is fsroot.MkFile: an empty file (mode 0) to bind over.
static void mkfile(const char *prefix, const char *rel)
{
	char c[PATHMAX];
	clean(c, rel);
	char *slash = strrchr(c, '/');
	if (slash) {
		*slash = 0;
		mkdir_all(prefix, c, 0);
		*slash = '/';
	}
	int fd = openroot(c, O_CREAT | O_RDONLY | O_NOFOLLOW);
	if (fd < 0 && errno == EISDIR)
		return;
	if (fd < 0)
		fail_open(prefix, c);
	close(fd);
}

// inside names fd relative to the root ("/" for the root); -1 if it is not
// under it.
static int inside(int fd, char *out)
{
	char root[PATHMAX], p[PATHMAX];
	ssize_t rn = readlink(fdpath(rootfd), root, sizeof(root) - 1);
	ssize_t pn = readlink(fdpath(fd), p, sizeof(p) - 1);
	if (rn < 0 || pn < 0)
		return -1;
	root[rn] = p[pn] = 0;
	if (strcmp(root, "/") == 0)
		snprintf(out, PATHMAX, "%s", p);
	else if (strcmp(p, root) == 0)
		snprintf(out, PATHMAX, "/");
	else if (strncmp(p, root, rn) == 0 && p[rn] == '/')
		snprintf(out, PATHMAX, "%s", p + rn);
	else
		return -1;
	return 0;
}

// resolve is fsroot.Resolve: where rel lands inside the root, the part
// that does not exist taken as written, a dangling symlink followed.
static int resolve(const char *rel, char *out, int depth)
{
	char c[PATHMAX];
	if (depth > 40)
		return -1;
	clean(c, rel);
	int fd = openroot(c, O_PATH);
	if (fd >= 0) {
		int r = inside(fd, out);
		close(fd);
		return r;
	}
	if (!c[0] || errno != ENOENT)
		return -1;
	char parent[PATHMAX], pc[PATHMAX], target[PATHMAX], j[2 * PATHMAX + 2];
	char *slash = strrchr(c, '/');
	const char *base = slash ? slash + 1 : c;
	if (slash)
		*slash = 0;
	if (resolve(slash ? c : "", parent, depth + 1) < 0)
		return -1;
	if (slash)
		*slash = '/';
	const char *b;
	int dir = parentdir(c, pc, &b);
	ssize_t n = -1;
	if (dir >= 0) {
		n = readlinkat(dir, b, target, sizeof(target) - 1);
		close(dir);
	}
	if (n > 0) { // dangling
		target[n] = 0;
		if (target[0] != '/')
			snprintf(j, sizeof(j), "%s/%s", parent, target);
		else
			snprintf(j, sizeof(j), "%s", target);
		return resolve(j, out, depth + 1);
	}
	snprintf(j, sizeof(j), "%s/%s", parent, base);
	clean(out + 1, j);
	out[0] = '/';
	return 0;
}

// ---- mounts (internal/rootfs) ----

// remount applies flags to a bind mount, keeping the flags the kernel
// locks on it (rootfs.remount).
static int remount(const char *target, unsigned long flags)
{
	struct statfs st;
	if (statfs(target, &st) == 0)
		flags |= st.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_RELATIME | MS_NODIRATIME);
	return mount("", target, "", flags | MS_BIND | MS_REMOUNT, "");
}

static void op_host_mount(void)
{
	const char *what = str(), *src = str(), *dst = str(), *type = str();
	uint64_t flags = num();
	const char *data = str();
	if (mount(src, dst, type, flags, data) < 0)
		die("%s: %s", what, errstr(errno));
}

static void op_open_root(void)
{
	const char *path = str();
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die("open rootfs: open %s: %s", path, errstr(errno));
}

// check_proc is rootfs.checkProcMount: only procfs on /proc, nothing below
// it but lxcfs's files.
static void check_proc(const char *pre, const char *rel, int isproc, int bind, const char *src)
{
	char dest[PATHMAX];
	if (resolve(rel, dest, 0) < 0)
		return; // the mount itself fails with the real error
	if (strcmp(dest, "/proc") == 0) {
		if (!isproc && bind) {
			struct statfs fs;
			struct stat st;
			isproc = statfs(src, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC && stat(src, &st) == 0 && st.st_ino == 1;
		}
		if (!isproc)
			die("%s\"%s\" cannot be mounted because only procfs may be mounted on /proc", pre, dest);
		return;
	}
	if (strncmp(dest, "/proc/", 6) != 0 || !dest[6])
		return;
	for (int i = 0; i < nlxcfs; i++)
		if (strcmp(lxcfs[i], dest) == 0)
			return;
	if (strlen(dest) > 100)
		strcpy(dest + 97, "...");
	die("%s\"%s\" cannot be mounted because it is inside /proc (only lxcfs's procfs files may be replaced)", pre, dest);
}

// op_mount is rootfs.mountOne. Arguments: s source (as in the config), s
// destination, s source path (a bind's, made absolute), s type ("" for a
// bind), n flags, s data, n kind (1 bind, 2 proc, 4 sysfs), n count and
// that many propagation flags, n recursive (0/1), n attr_set, n attr_clr.
static void op_mount(void)
{
	const char *osrc = str(), *dst = str(), *src = str(), *type = str();
	unsigned long flags = num();
	const char *data = str();
	uint64_t kind = num(), nprop = num(), prop[8];
	if (nprop > 8)
		die("cinit: too many propagation flags");
	for (uint64_t i = 0; i < nprop; i++)
		prop[i] = num();
	uint64_t rec = num();
	struct mount_attr attr = {.attr_set = num(), .attr_clr = num()};
	char pre[PATHMAX + 64];
	snprintf(pre, sizeof(pre), "mount %s on %s: ", osrc, dst);
	int bind = kind & 1;
	check_proc(pre, dst, kind & 2, bind, src);
	if (kind & 6) { // checkKernelFSTarget
		int fd = openroot(dst, O_PATH | O_NOFOLLOW);
		struct stat st;
		if (fd >= 0) {
			if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
				die("%s%s must be mounted on a directory, and the rootfs has something else there (a symlink?)",
				    pre, (kind & 2) ? "proc" : "sysfs");
			close(fd);
		}
	}
	if (bind) {
		struct stat st;
		if (stat(src, &st) < 0)
			die("%sstat %s: %s", pre, src, errstr(errno));
		if (S_ISDIR(st.st_mode))
			mkdir_all(pre, dst, 0);
		else
			mkfile(pre, dst);
		flags |= MS_BIND;
	} else {
		mkdir_all(pre, dst, 0);
	}
	int fd = openroot(dst, O_PATH);
	if (fd < 0)
		fail_open(pre, dst);
	unsigned long rest = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	if (bind) {
		if (mount(src, fdpath(fd), type, flags & (MS_BIND | MS_REC), data) < 0)
			die("%s%s", pre, errstr(errno));
	} else if (mount(src, fdpath(fd), type, flags, data) < 0) {
		if (!data[0])
			die("%s%s", pre, errstr(errno));
		die("%s%s (data \"%s\")", pre, errstr(errno), data);
	}
	close(fd);
	if ((!bind || rest == 0) && nprop == 0 && !rec)
		return;
	// The descriptor names the directory under the new mount: reopen.
	int mfd = openroot(dst, O_PATH);
	if (mfd < 0)
		fail_open(pre, dst);
	if (bind && rest && remount(fdpath(mfd), rest) < 0)
		die("%sremount: %s", pre, errstr(errno));
	for (uint64_t i = 0; i < nprop; i++)
		if (mount("", fdpath(mfd), "", prop[i], "") < 0)
			die("%sset propagation: %s", pre, errstr(errno));
	if (rec && syscall(SYS_mount_setattr, mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
		if (errno == ENOSYS)
			die("%srecursive mount options (rro, ...) need Linux 5.12 or newer (mount_setattr)", pre);
		die("%smount_setattr recursive: %s", pre, errstr(errno));
	}
	close(mfd);
}

// own_cgroup finds this process's path in the hierarchy whose
// /proc/self/cgroup controller field is key ("" for cgroup2). The file is
// read once: the process is in its cgroups for good by the first call.
static void own_cgroup(const char *key, char *out)
{
	static char buf[16384];
	static ssize_t n = -1;
	out[0] = 0;
	if (n < 0) {
		int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < 0)
			die("read /proc/self/cgroup: %s", errstr(errno));
		buf[n] = 0;
		close(fd);
	}
	size_t kl = strlen(key);
	for (const char *l = buf; *l;) {
		const char *end = strchr(l, '\n'), *a = strchr(l, ':');
		if (!end)
			end = l + strlen(l);
		if (a && a < end && strncmp(a + 1, key, kl) == 0 && a[1 + kl] == ':') {
			const char *p = a + 2 + kl;
			snprintf(out, PATHMAX, "%.*s", (int)(end - p), p);
			return;
		}
		l = *end ? end + 1 : end;
	}
}

// hierarchy is rootfs.mountHierarchy: in a cgroup namespace a fresh mount,
// else a bind of the container's own cgroup directory, never the host's
// root.
static void hierarchy(const char *pre, const char *dst, const char *type, const char *data, const char *point,
		      const char *key, unsigned long flags, int ro, int cgns)
{
	mkdir_all(pre, dst, 0);
	int fd = openroot(dst, O_PATH | O_DIRECTORY);
	if (fd < 0)
		fail_open(pre, dst);
	if (cgns) {
		if (mount("cgroup", fdpath(fd), type, flags | (ro ? MS_RDONLY : 0), data) < 0)
			die("%smount %s %s: %s", pre, type, dst, errstr(errno));
		close(fd);
		return;
	}
	char own[PATHMAX], src[2 * PATHMAX], csrc[PATHMAX];
	own_cgroup(key, own);
	snprintf(src, sizeof(src), "%s/%s", point, own);
	clean(csrc + 1, src);
	csrc[0] = '/';
	if (mount(csrc, fdpath(fd), "", MS_BIND | MS_REC, "") < 0)
		die("%sbind %s: %s", pre, csrc, errstr(errno));
	close(fd);
	fd = openroot(dst, O_PATH | O_DIRECTORY);
	if (fd < 0)
		fail_open(pre, dst);
	if (remount(fdpath(fd), flags | (ro ? MS_RDONLY : 0)) < 0)
		die("%sremount: %s", pre, errstr(errno));
	close(fd);
}

// op_cgroup is rootfs.mountCgroup. Arguments: s source, s destination, n
// flags (without ro, bind, rec), n ro, n cgroup namespace, n tmpfs (v1 or
// hybrid: a tmpfs of hierarchies), n count of hierarchies, each s
// destination, s type, s data, s host mount point, s /proc/self/cgroup
// key; n count of links, each s name, s link.
static void op_cgroup(void)
{
	const char *osrc = str(), *dst = str();
	unsigned long flags = num();
	int ro = num(), cgns = num(), tmpfs = num();
	uint64_t n = num();
	char pre[PATHMAX + 64];
	snprintf(pre, sizeof(pre), "mount %s on %s: ", osrc, dst);
	mkdir_all(pre, dst, 0);
	int fd = -1;
	if (tmpfs) {
		fd = openroot(dst, O_PATH | O_DIRECTORY);
		if (fd < 0)
			fail_open(pre, dst);
		if (mount("tmpfs", fdpath(fd), "tmpfs", flags, "mode=755") < 0)
			die("%smount tmpfs: %s", pre, errstr(errno));
		close(fd);
		if ((fd = openroot(dst, O_PATH | O_DIRECTORY)) < 0)
			fail_open(pre, dst);
	}
	for (uint64_t i = 0; i < n; i++) {
		const char *hdst = str(), *type = str(), *data = str(), *point = str(), *key = str();
		hierarchy(pre, hdst, type, data, point, key, flags, ro, cgns);
	}
	for (uint64_t i = num(); i > 0; i--) {
		const char *name = str(), *link = str();
		symlinkat(name, fd, link);
	}
	if (fd >= 0) {
		if (ro && remount(fdpath(fd), flags | MS_RDONLY) < 0)
			die("%sremount: %s", pre, errstr(errno));
		close(fd);
	}
}

// op_mknod is rootfs.makeDevice without a user namespace.
static void op_mknod(void)
{
	const char *path = str();
	mode_t type = num(), mode = num();
	dev_t rdev = num();
	uid_t uid = num();
	gid_t gid = num();
	char pre[PATHMAX + 16], c[PATHMAX];
	const char *base;
	snprintf(pre, sizeof(pre), "device %s: ", path);
	umask(0); // the mode as given (runtime.finish sets the process's)
	clean(c, path);
	char *slash = strrchr(c, '/');
	if (slash) {
		*slash = 0;
		mkdir_all(pre, c, 0);
	}
	int dir = parentdir(path, c, &base);
	if (dir < 0)
		fail_open(pre, path);
	struct stat st;
	if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if ((st.st_mode & S_IFMT) != type || (type != S_IFIFO && st.st_rdev != rdev))
			die("device %s: device %s: a file that is not this device is already there", path, path);
		unlinkat(dir, base, 0);
	}
	if (mknodat(dir, base, type | mode, rdev) < 0)
		die("%smknod: %s", pre, errstr(errno));
	if ((uid || gid) && fchownat(dir, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		die("%s%s", pre, errstr(errno));
	close(dir);
}

static void op_symlink(void)
{
	const char *target = str(), *path = str();
	char c[PATHMAX];
	const char *base;
	clean(c, path);
	char *slash = strrchr(c, '/');
	if (slash) {
		*slash = 0;
		mkdir_all("", c, 0);
	}
	int dir = parentdir(path, c, &base);
	if (dir < 0)
		fail_open("", path);
	if (symlinkat(target, dir, base) < 0 && errno != EEXIST)
		die("symlink %s: %s", path, errstr(errno));
	close(dir);
}

// op_pivot is rootfs.Pivot with a mount namespace.
static void op_pivot(void)
{
	const char *rootfs = str();
	int nopivot = num();
	if (nopivot) {
		if (chdir(rootfs) < 0)
			die("chdir %s: %s", rootfs, errstr(errno));
		if (mount(rootfs, "/", "", MS_MOVE, "") < 0)
			die("move rootfs: %s", errstr(errno));
		if (chroot(".") < 0)
			die("chroot: %s", errstr(errno));
		(void)!chdir("/");
		return;
	}
	int old = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (old < 0)
		die("open /: %s", errstr(errno));
	if (chdir(rootfs) < 0)
		die("chdir %s: %s", rootfs, errstr(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die("pivot_root %s: %s", rootfs, errstr(errno));
	if (fchdir(old) < 0)
		die("fchdir: %s", errstr(errno));
	// Slave first so the detach never propagates to the host.
	if (mount("", ".", "", MS_SLAVE | MS_REC, "") < 0)
		die("make old root slave: %s", errstr(errno));
	if (umount2(".", MNT_DETACH) < 0)
		die("detach old root: %s", errstr(errno));
	close(old);
	(void)!chdir("/");
}

static int on_procfs(int fd)
{
	struct statfs st;
	return fstatfs(fd, &st) == 0 && st.f_type == PROC_SUPER_MAGIC ? 0 : -1;
}

// op_sysctl is runtime.writeProcSys: beneath the container's /proc only,
// crossing no mount and following no symlink.
static void op_sysctl(void)
{
	const char *key = str(), *rel = str(), *val = str();
	int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0)
		die("sysctl %s: open /proc: %s", key, errstr(errno));
	if (on_procfs(proc) < 0)
		die("sysctl %s: /proc: not on procfs", key);
	struct open_how how = {.flags = O_WRONLY | O_CLOEXEC | O_TRUNC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	int fd = syscall(SYS_openat2, proc, rel, &how, sizeof(how));
	if (fd < 0 && errno == EXDEV)
		die("sysctl %s: /proc/%s is covered by a mount, not procfs: refusing to write through it", key, rel);
	if (fd < 0)
		die("sysctl %s: %s", key, errstr(errno));
	if (on_procfs(fd) < 0)
		die("sysctl %s: not on procfs", key);
	if (write(fd, val, strlen(val)) < 0)
		die("sysctl %s=%s: %s", key, val, errstr(errno));
	close(fd);
	close(proc);
}

// op_mask is rootfs.mask: a directory under an empty read-only tmpfs, a
// file under the container's /dev/null, checked to be the null device
// (CVE-2025-31133).
static void op_mask(void)
{
	const char *p = str();
	struct stat st;
	if (stat(p, &st) < 0) {
		if (errno == ENOENT)
			return;
		die("mask %s: stat %s: %s", p, p, errstr(errno));
	}
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", p, "tmpfs", MS_RDONLY, "") < 0)
			die("mask %s: %s", p, errstr(errno));
		return;
	}
	int null = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (null < 0)
		die("mask %s: open /dev/null for masking: %s", p, errstr(errno));
	if (fstat(null, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		die("mask %s: /dev/null in the container is not the null device (mode %#o): refusing to mask with it", p,
		    st.st_mode);
	if (mount(fdpath(null), p, "", MS_BIND, "") < 0)
		die("mask %s: %s", p, errstr(errno));
	close(null);
}

static void op_readonly(void)
{
	const char *p = str();
	if (mount(p, p, "", MS_BIND | MS_REC, "") < 0) {
		if (errno == ENOENT)
			return;
		die("readonly %s: %s", p, errstr(errno));
	}
	if (remount(p, MS_RDONLY | MS_REC) < 0)
		die("readonly %s: remount: %s", p, errstr(errno));
}

static void op_write_proc(void)
{
	const char *what = str(), *file = str(), *val = str();
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		die("%s: open %s: %s", what, file, errstr(errno));
	close(fd);
}

static void op_hooks(void)
{
	char line[4096];
	size_t n = 0;
	sendmsg_type("hooks");
	while (n < sizeof(line) - 1) {
		ssize_t r = read(sfd, line + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(1); // the parent went away
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	if (strstr(line, "\"ok\"") == NULL)
		die("container init got %s, want \"ok\"", line);
}

// ---- the process (runtime.finish, setUser, confine, caps.Apply) ----

static const char *getenv_in(const char *name)
{
	size_t l = strlen(name);
	for (int i = 0; i < P.envc; i++)
		if (strncmp(P.envp[i], name, l) == 0 && P.envp[i][l] == '=')
			return P.envp[i] + l + 1;
	return NULL;
}

// home is runtime.homeOf: the user's home in the container's /etc/passwd.
static const char *home(void)
{
	static char buf[PATHMAX];
	char line[PATHMAX];
	FILE *f = fopen("/etc/passwd", "re");
	if (f == NULL)
		return "/";
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *fld[7] = {line};
		int n = 1;
		for (char *p = line; *p && n < 7; p++)
			if (*p == ':') {
				*p = 0;
				fld[n++] = p + 1;
			}
		char *end;
		if (n >= 6 && fld[2][0] && strtoull(fld[2], &end, 10) == P.uid && !*end && fld[5][0]) {
			snprintf(buf, sizeof(buf), "%s", fld[5]);
			fclose(f);
			return buf;
		}
	}
	fclose(f);
	return "/";
}

// lookup is runtime.prepareExec: the program in the container's PATH.
static const char *lookup(void)
{
	static char cand[PATHMAX], c[PATHMAX];
	const char *arg0 = P.argv[0];
	struct stat st;
	if (getenv_in("HOME") == NULL) {
		static char h[PATHMAX + 8];
		snprintf(h, sizeof(h), "HOME=%s", home());
		P.envp[P.envc++] = h;
	}
	if (strchr(arg0, '/')) {
		if (stat(arg0, &st) < 0)
			die("exec: \"%s\": %s", arg0, errstr(errno));
		return arg0;
	}
	const char *path = getenv_in("PATH");
	if (path == NULL || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *p = path;;) {
		const char *e = strchr(p, ':');
		int l = e ? (int)(e - p) : (int)strlen(p);
		snprintf(c, sizeof(c), "%.*s/%s", l, p, arg0);
		// filepath.Join: clean, keep a leading "/"
		clean(cand + 1, c);
		cand[0] = '/';
		const char *name = (l > 0 && p[0] == '/') ? cand : cand + 1;
		if (stat(name, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return name;
		if (!e)
			break;
		p = e + 1;
	}
	die("exec: \"%s\": executable file not found in $PATH", arg0);
}

static void capget_set(struct __user_cap_data_struct d[2], int set)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	if (syscall(set ? SYS_capset : SYS_capget, &h, d) < 0)
		die("%s: %s", set ? "capset" : "capget", errstr(errno));
}

// raise_effective copies the permitted set into the effective set.
static void raise_effective(void)
{
	struct __user_cap_data_struct d[2];
	capget_set(d, 0);
	d[0].effective = d[0].permitted;
	d[1].effective = d[1].permitted;
	capget_set(d, 1);
}

static void apply_caps(void)
{
	raise_effective();
	for (uint64_t i = 0; i <= P.last; i++) {
		if (P.capset[0] & (1ULL << i))
			continue;
		int in = prctl(PR_CAPBSET_READ, i, 0, 0, 0);
		if (in < 0)
			die("apply capabilities: read bounding set: %s", errstr(errno));
		if (in && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0)
			die("apply capabilities: drop capability %llu from the bounding set: %s", (unsigned long long)i,
			    errstr(errno));
	}
	struct __user_cap_data_struct d[2] = {
		{.effective = P.capset[1], .permitted = P.capset[2], .inheritable = P.capset[3]},
		{.effective = P.capset[1] >> 32, .permitted = P.capset[2] >> 32, .inheritable = P.capset[3] >> 32},
	};
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	if (syscall(SYS_capset, &h, d) < 0)
		die("apply capabilities: set capabilities (effective %#llx, permitted %#llx, inheritable %#llx): %s",
		    (unsigned long long)P.capset[1], (unsigned long long)P.capset[2], (unsigned long long)P.capset[3],
		    errstr(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die("apply capabilities: clear ambient capabilities: %s", errstr(errno));
	for (uint64_t i = 0; i <= P.last; i++)
		if (P.capset[4] & (1ULL << i))
			prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0); // as caps.Apply: not permitted+inheritable is no error
}

static void load_seccomp(void)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, P.seccomp_flags, &P.prog) < 0)
		die("load seccomp: seccomp(SET_MODE_FILTER, flags %#llx): %s", (unsigned long long)P.seccomp_flags,
		    errstr(errno));
}

// finish turns this process into the user program (runtime.finish).
__attribute__((noreturn)) static void finish(const char *path)
{
	for (int i = 0; i < P.nrlim; i++) {
		if (P.rlim[i].type == ~0ULL)
			die("unknown rlimit \"%s\"", P.rlim[i].name);
		struct rlimit rl = {.rlim_cur = P.rlim[i].soft, .rlim_max = P.rlim[i].hard};
		if (prlimit(0, P.rlim[i].type, &rl, NULL) < 0)
			die("set %s: %s", P.rlim[i].name, errstr(errno));
	}
	if (P.cwd && P.cwd[0] && chdir(P.cwd) < 0)
		die("chdir to cwd (\"%s\") set in config.json failed: %s", P.cwd, errstr(errno));
	if (syscall(SYS_setgroups, P.ngroups, P.groups) < 0)
		die("setgroups: %s", errstr(errno));
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die("keep capabilities: %s", errstr(errno));
	// Raw syscalls: this process has one thread, no need for libc's
	// all-threads setxid.
	if (syscall(SYS_setresgid, P.gid, P.gid, P.gid) < 0)
		die("setgid %llu: %s", (unsigned long long)P.gid, errstr(errno));
	if (syscall(SYS_setresuid, P.uid, P.uid, P.uid) < 0)
		die("setuid %llu: %s", (unsigned long long)P.uid, errstr(errno));
	umask(P.umask);
	// Nothing of the runtime's leaks into the container: everything past
	// the preserved fds closes on execve.
	if (syscall(SYS_close_range, 3 + P.extra, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		die("close fds: %s", errstr(errno));
	// confine: see runtime/confine.go for the order.
	if (P.nnp) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			die("set no_new_privs: %s", errstr(errno));
	} else if (P.prog.len) {
		raise_effective();
		load_seccomp();
	}
	if (P.caps)
		apply_caps();
	if (P.nnp && P.prog.len)
		load_seccomp();
	execve(path, P.argv, P.envp);
	die("exec %s: %s", path, errstr(errno));
}

static void op_start(void)
{
	if (P.argc == 0)
		die("cinit: no process args");
	const char *path = lookup();
	sendmsg_type("ready");
	if (P.fifo != ~0ULL) {
		// Blocks until start opens the fifo for reading.
		int fd;
		do
			fd = open(fdpath(P.fifo), O_WRONLY | O_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0)
			die("open exec fifo: %s", errstr(errno));
		// A start killed before it read the byte leaves us a broken
		// pipe: do not run a program nobody started.
		if (write(fd, "", 1) != 1)
			die("write exec fifo: %s", errstr(errno));
		fifo_wfd = fd;
	}
	finish(path);
}

static void op_process(int op)
{
	switch (op) {
	case CINIT_OP_ARG:
		if (P.argc >= MAXARGS)
			die("cinit: too many args");
		P.argv[P.argc++] = (char *)str();
		break;
	case CINIT_OP_ENV:
		if (P.envc >= MAXARGS)
			die("cinit: too many env entries");
		P.envp[P.envc++] = (char *)str();
		break;
	case CINIT_OP_RLIMIT:
		if (P.nrlim >= 32)
			die("cinit: too many rlimits");
		P.rlim[P.nrlim].name = str();
		P.rlim[P.nrlim].type = num();
		P.rlim[P.nrlim].soft = num();
		P.rlim[P.nrlim++].hard = num();
		break;
	case CINIT_OP_USER:
		P.uid = num(), P.gid = num(), P.umask = num();
		break;
	case CINIT_OP_GROUP:
		if (P.ngroups >= 256)
			die("cinit: too many groups");
		P.groups[P.ngroups++] = num();
		break;
	case CINIT_OP_CWD:
		P.cwd = str();
		break;
	case CINIT_OP_CAPS:
		P.caps = 1;
		P.last = num();
		for (int i = 0; i < 5; i++)
			P.capset[i] = num();
		break;
	case CINIT_OP_SECCOMP: {
		uint32_t len;
		P.seccomp_flags = num();
		const char *f = str_len(&len);
		if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > 0xffff)
			die("cinit: bad seccomp program");
		// The plan buffer is not aligned for struct sock_filter.
		void *copy = malloc(len);
		if (copy == NULL)
			die("cinit: out of memory");
		memcpy(copy, f, len);
		P.prog.len = len / sizeof(struct sock_filter);
		P.prog.filter = copy;
		break;
	}
	case CINIT_OP_NNP:
		P.nnp = 1;
		break;
	case CINIT_OP_FDS:
		P.extra = num(), P.fifo = num();
		break;
	default:
		die("cinit: unknown op %d", op);
	}
}

static void run(void)
{
	for (;;) {
		if (plan >= pend)
			die("cinit: plan without start");
		int op = (unsigned char)*plan++;
		switch (op) {
		case CINIT_OP_JOIN_TASKS: {
			// Before anything else, above all before any fork.
			const char *p = str();
			int fd = open(p, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, "0", 1) != 1)
				die("join cgroup %s: %s", p, errstr(errno));
			close(fd);
			break;
		}
		case CINIT_OP_UNSHARE:
			if (unshare(num()) < 0)
				die("unshare cgroup namespace: %s", errstr(errno));
			break;
		case CINIT_OP_LXCFS:
			if (nlxcfs < 32)
				lxcfs[nlxcfs++] = str();
			else
				str();
			break;
		case CINIT_OP_HOST_MOUNT:
			op_host_mount();
			break;
		case CINIT_OP_OPEN_ROOT:
			op_open_root();
			break;
		case CINIT_OP_MOUNT:
			op_mount();
			break;
		case CINIT_OP_CGROUP:
			op_cgroup();
			break;
		case CINIT_OP_MKNOD:
			op_mknod();
			break;
		case CINIT_OP_SYMLINK:
			op_symlink();
			break;
		case CINIT_OP_MKDIR: {
			const char *p = str();
			mkdir_all("make cwd: ", p, 0);
			break;
		}
		case CINIT_OP_HOOKS:
			op_hooks();
			break;
		case CINIT_OP_WRITE_PROC:
			op_write_proc();
			break;
		case CINIT_OP_KEYRING:
			// Kernels without keyrings (or denied) go without.
			syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, str());
			break;
		case CINIT_OP_PIVOT:
			if (rootfd >= 0)
				close(rootfd);
			rootfd = -1;
			op_pivot();
			break;
		case CINIT_OP_SYSCTL:
			op_sysctl();
			break;
		case CINIT_OP_MASK:
			op_mask();
			break;
		case CINIT_OP_READONLY:
			op_readonly();
			break;
		case CINIT_OP_ROOT_RO:
			if (remount("/", MS_RDONLY) < 0)
				die("make root read-only: remount: %s", errstr(errno));
			break;
		case CINIT_OP_PROPAGATE:
			if (mount("", "/", "", num(), "") < 0)
				die("set rootfs propagation: %s", errstr(errno));
			break;
		case CINIT_OP_HOSTNAME: {
			uint32_t l;
			const char *h = str_len(&l);
			if (sethostname(h, l) < 0)
				die("set hostname: %s", errstr(errno));
			break;
		}
		case CINIT_OP_DOMAINNAME: {
			uint32_t l;
			const char *d = str_len(&l);
			if (setdomainname(d, l) < 0)
				die("set domainname: %s", errstr(errno));
			break;
		}
		case CINIT_OP_START:
			op_start();
			return;
		case CINIT_OP_NEXT:
			read_part(); // the strings of the last part stay valid
			break;
		default:
			op_process(op);
		}
	}
}

static void read_part(void)
{
	uint32_t len;
	if (readfull(sfd, &len, sizeof(len)) < 0)
		_exit(1); // the parent went away (it reports why)
	char *buf = malloc((size_t)len + 1);
	if (buf == NULL || readfull(sfd, buf, len) < 0)
		die("cinit: read plan: %s", errstr(errno));
	plan = buf, pend = buf + len;
}

// cinit runs the plan if the parent chose the C init; it returns only if
// it did not.
void cinit(void)
{
	const char *env = getenv(CINIT_ENV);
	if (env == NULL)
		return;
	sfd = atoi(env);
	fcntl(sfd, F_SETFD, FD_CLOEXEC);
	// The name Status reads as "created" until execve renames us
	// (runtime.initComm, the plan's first string).
	read_part();
	const char *comm = str();
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	run();
	_exit(1);
}
