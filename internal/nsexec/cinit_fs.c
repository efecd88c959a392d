// The C init's file system work (see cinit.c): paths resolved inside
// the rootfs as internal/fsroot does, and the mounts, devices and
// pivot_root of internal/rootfs, each function named after its Go twin.
#include "cinit_impl.h"

static const char *lxcfs[32];
static int nlxcfs;

// ci_op_lxcfs notes a file under /proc that a mount may cover.
void ci_op_lxcfs(void)
{
	const char *p = ci_str();
	if (nlxcfs < 32)
		lxcfs[nlxcfs++] = p;
}

// ---- paths inside the root (internal/fsroot) ----

const char *ci_fdpath(int fd)
{
	static char buf[4][32];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "/proc/self/fd/%d", fd);
	return buf[i];
}

// clean makes in a clean path relative to the root (fsroot.Clean): ""
// for the root itself.
void ci_clean(char *out, const char *in)
{
	char tmp[PATHMAX];
	size_t n = 0;
	// Never a shorter path than asked for: a cut one would name another
	// directory.
	if (snprintf(tmp, sizeof(tmp), "%s", in) >= (int)sizeof(tmp))
		ci_die("%.64s...: %s", in, ci_errstr(ENAMETOOLONG));
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
			ci_die("%.64s...: %s", in, ci_errstr(ENAMETOOLONG));
		memcpy(out + n, c, l);
		n += l;
	}
	out[n] = 0;
}

static int openroot(const char *rel, uint64_t flags)
{
	char c[PATHMAX];
	ci_clean(c, rel);
	struct open_how how = {.flags = flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd;
	do
		fd = syscall(SYS_openat2, ci_rootfd, c[0] ? c : ".", &how, sizeof(how));
	while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	return fd;
}

// fail_open reports a failed openroot as fsroot does.
__attribute__((noreturn)) static void fail_open(const char *prefix, const char *rel)
{
	char c[PATHMAX];
	ci_clean(c, rel);
	if (errno == EXDEV)
		ci_die("%s%s: path leaves the root (symlink or .. pointing outside)", prefix, c);
	ci_die("%sopen %s: %s", prefix, c[0] ? c : ".", ci_errstr(errno));
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
	ci_clean(c, rel);
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
void ci_mkdir_all(const char *prefix, const char *rel, int depth)
{
	char c[PATHMAX], cur[PATHMAX] = "";
	struct stat st;
	ci_clean(c, rel);
	if (depth > 40)
		ci_die("%smkdir %s: %s", prefix, c, ci_errstr(ELOOP));
	if (!c[0] || (statroot(c, &st) == 0 && S_ISDIR(st.st_mode)))
		return;
	for (char *p = c;;) {
		char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - c) : strlen(c);
		memcpy(cur, c, l);
		cur[l] = 0;
		if (statroot(cur, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				ci_die("%smkdir %s: %s is not a directory", prefix, c, cur);
		} else {
			char pc[PATHMAX], target[PATHMAX];
			const char *base;
			int dir = parentdir(cur, pc, &base);
			if (dir < 0)
				fail_open(prefix, cur);
			int err = 0;
			if (mkdirat(dir, base, 0755) < 0) {
				err = errno;
			} else {
				// Past the umask, through an fd: by name, fchmodat
				// would follow a symlink swapped in meanwhile.
				int d = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (d < 0 || fchmod(d, 0755) < 0)
					err = errno;
				if (d >= 0)
					close(d);
			}
			ssize_t n = -1;
			if (err == EEXIST)
				n = readlinkat(dir, base, target, sizeof(target) - 1);
			close(dir);
			if (n > 0) { // a dangling symlink: make what it points to
				char t[2 * PATHMAX + 2];
				target[n] = 0;
				if (target[0] == '/') {
					ci_mkdir_all(prefix, target, depth + 1);
				} else {
					char *d = strrchr(cur, '/');
					snprintf(t, sizeof(t), "%.*s/%s", d ? (int)(d - cur) : 0, cur, target);
					ci_mkdir_all(prefix, t, depth + 1);
				}
			} else if (err && err != EEXIST) {
				ci_die("%smkdir %s: %s", prefix, cur, ci_errstr(err));
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
	ci_clean(c, rel);
	char *slash = strrchr(c, '/');
	if (slash) {
		*slash = 0;
		ci_mkdir_all(prefix, c, 0);
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
	ssize_t rn = readlink(ci_fdpath(ci_rootfd), root, sizeof(root) - 1);
	ssize_t pn = readlink(ci_fdpath(fd), p, sizeof(p) - 1);
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
	ci_clean(c, rel);
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
	ci_clean(out + 1, j);
	out[0] = '/';
	return 0;
}

// ---- mounts (internal/rootfs) ----

// remount applies flags to a bind mount, keeping the flags the kernel
// locks on it (rootfs.ci_remount).
int ci_remount(const char *target, unsigned long flags)
{
	struct statfs st;
	if (statfs(target, &st) == 0)
		flags |= st.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_RELATIME | MS_NODIRATIME);
	return mount("", target, "", flags | MS_BIND | MS_REMOUNT, "");
}

void ci_op_host_mount(void)
{
	const char *what = ci_str(), *src = ci_str(), *dst = ci_str(), *type = ci_str();
	uint64_t flags = ci_num();
	const char *data = ci_str();
	if (mount(src, dst, type, flags, data) < 0)
		ci_die("%s: %s", what, ci_errstr(errno));
}

void ci_op_open_root(void)
{
	const char *path = ci_str();
	ci_rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ci_rootfd < 0)
		ci_die("open rootfs: open %s: %s", path, ci_errstr(errno));
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
			ci_die("%s\"%s\" cannot be mounted because only procfs may be mounted on /proc", pre, dest);
		return;
	}
	if (strncmp(dest, "/proc/", 6) != 0 || !dest[6])
		return;
	for (int i = 0; i < nlxcfs; i++)
		if (strcmp(lxcfs[i], dest) == 0)
			return;
	if (strlen(dest) > 100)
		strcpy(dest + 97, "...");
	ci_die("%s\"%s\" cannot be mounted because it is inside /proc (only lxcfs's procfs files may be replaced)", pre, dest);
}

// op_mount is rootfs.mountOne. Arguments: s source (as in the config), s
// destination, s source path (a bind's, made absolute), s type ("" for a
// bind), n flags, s data, n kind (1 bind, 2 proc, 4 sysfs), n count and
// that many propagation flags, n recursive (0/1), n attr_set, n attr_clr.
void ci_op_mount(void)
{
	const char *osrc = ci_str(), *dst = ci_str(), *src = ci_str(), *type = ci_str();
	unsigned long flags = ci_num();
	const char *data = ci_str();
	uint64_t kind = ci_num(), nprop = ci_num(), prop[8];
	if (nprop > 8)
		ci_die("cinit: too many propagation flags");
	for (uint64_t i = 0; i < nprop; i++)
		prop[i] = ci_num();
	uint64_t rec = ci_num();
	struct mount_attr attr = {.attr_set = ci_num(), .attr_clr = ci_num()};
	char pre[PATHMAX + 64];
	snprintf(pre, sizeof(pre), "mount %s on %s: ", osrc, dst);
	int bind = kind & 1;
	check_proc(pre, dst, kind & 2, bind, src);
	if (kind & 6) { // checkKernelFSTarget
		int fd = openroot(dst, O_PATH | O_NOFOLLOW);
		struct stat st;
		if (fd >= 0) {
			if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
				ci_die("%s%s must be mounted on a directory, and the rootfs has something else there (a symlink?)",
				    pre, (kind & 2) ? "proc" : "sysfs");
			close(fd);
		}
	}
	if (bind) {
		struct stat st;
		if (stat(src, &st) < 0)
			ci_die("%sstat %s: %s", pre, src, ci_errstr(errno));
		if (S_ISDIR(st.st_mode))
			ci_mkdir_all(pre, dst, 0);
		else
			mkfile(pre, dst);
		flags |= MS_BIND;
	} else {
		ci_mkdir_all(pre, dst, 0);
	}
	int fd = openroot(dst, O_PATH);
	if (fd < 0)
		fail_open(pre, dst);
	unsigned long rest = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	if (bind) {
		if (mount(src, ci_fdpath(fd), type, flags & (MS_BIND | MS_REC), data) < 0)
			ci_die("%s%s", pre, ci_errstr(errno));
	} else if (mount(src, ci_fdpath(fd), type, flags, data) < 0) {
		if (!data[0])
			ci_die("%s%s", pre, ci_errstr(errno));
		ci_die("%s%s (data \"%s\")", pre, ci_errstr(errno), data);
	}
	close(fd);
	if ((!bind || rest == 0) && nprop == 0 && !rec)
		return;
	// The descriptor names the directory under the new mount: reopen.
	int mfd = openroot(dst, O_PATH);
	if (mfd < 0)
		fail_open(pre, dst);
	if (bind && rest && ci_remount(ci_fdpath(mfd), rest) < 0)
		ci_die("%sremount: %s", pre, ci_errstr(errno));
	for (uint64_t i = 0; i < nprop; i++)
		if (mount("", ci_fdpath(mfd), "", prop[i], "") < 0)
			ci_die("%sset propagation: %s", pre, ci_errstr(errno));
	if (rec && syscall(SYS_mount_setattr, mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
		if (errno == ENOSYS)
			ci_die("%srecursive mount options (rro, ...) need Linux 5.12 or newer (mount_setattr)", pre);
		ci_die("%smount_setattr recursive: %s", pre, ci_errstr(errno));
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
			ci_die("read /proc/self/cgroup: %s", ci_errstr(errno));
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
	ci_mkdir_all(pre, dst, 0);
	int fd = openroot(dst, O_PATH | O_DIRECTORY);
	if (fd < 0)
		fail_open(pre, dst);
	if (cgns) {
		if (mount("cgroup", ci_fdpath(fd), type, flags | (ro ? MS_RDONLY : 0), data) < 0)
			ci_die("%smount %s %s: %s", pre, type, dst, ci_errstr(errno));
		close(fd);
		return;
	}
	char own[PATHMAX], src[2 * PATHMAX], csrc[PATHMAX];
	own_cgroup(key, own);
	snprintf(src, sizeof(src), "%s/%s", point, own);
	ci_clean(csrc + 1, src);
	csrc[0] = '/';
	if (mount(csrc, ci_fdpath(fd), "", MS_BIND | MS_REC, "") < 0)
		ci_die("%sbind %s: %s", pre, csrc, ci_errstr(errno));
	close(fd);
	fd = openroot(dst, O_PATH | O_DIRECTORY);
	if (fd < 0)
		fail_open(pre, dst);
	if (ci_remount(ci_fdpath(fd), flags | (ro ? MS_RDONLY : 0)) < 0)
		ci_die("%sremount: %s", pre, ci_errstr(errno));
	close(fd);
}

// op_cgroup is rootfs.mountCgroup. Arguments: s source, s destination, n
// flags (without ro, bind, rec), n ro, n cgroup namespace, n tmpfs (v1 or
// hybrid: a tmpfs of hierarchies), n count of hierarchies, each s
// destination, s type, s data, s host mount point, s /proc/self/cgroup
// key; n count of links, each s name, s link.
void ci_op_cgroup(void)
{
	const char *osrc = ci_str(), *dst = ci_str();
	unsigned long flags = ci_num();
	int ro = ci_num(), cgns = ci_num(), tmpfs = ci_num();
	uint64_t n = ci_num();
	char pre[PATHMAX + 64];
	snprintf(pre, sizeof(pre), "mount %s on %s: ", osrc, dst);
	ci_mkdir_all(pre, dst, 0);
	int fd = -1;
	if (tmpfs) {
		fd = openroot(dst, O_PATH | O_DIRECTORY);
		if (fd < 0)
			fail_open(pre, dst);
		if (mount("tmpfs", ci_fdpath(fd), "tmpfs", flags, "mode=755") < 0)
			ci_die("%smount tmpfs: %s", pre, ci_errstr(errno));
		close(fd);
		if ((fd = openroot(dst, O_PATH | O_DIRECTORY)) < 0)
			fail_open(pre, dst);
	}
	for (uint64_t i = 0; i < n; i++) {
		const char *hdst = ci_str(), *type = ci_str(), *data = ci_str(), *point = ci_str(), *key = ci_str();
		hierarchy(pre, hdst, type, data, point, key, flags, ro, cgns);
	}
	for (uint64_t i = ci_num(); i > 0; i--) {
		const char *name = ci_str(), *link = ci_str();
		symlinkat(name, fd, link);
	}
	if (fd >= 0) {
		if (ro && ci_remount(ci_fdpath(fd), flags | MS_RDONLY) < 0)
			ci_die("%sremount: %s", pre, ci_errstr(errno));
		close(fd);
	}
}

// op_mknod is rootfs.makeDevice without a user namespace.
void ci_op_mknod(void)
{
	const char *path = ci_str();
	mode_t type = ci_num(), mode = ci_num();
	dev_t rdev = ci_num();
	uid_t uid = ci_num();
	gid_t gid = ci_num();
	char pre[PATHMAX + 16], c[PATHMAX];
	const char *base;
	snprintf(pre, sizeof(pre), "device %s: ", path);
	umask(0); // the mode as given (runtime.finish sets the process's)
	ci_clean(c, path);
	char *slash = strrchr(c, '/');
	if (slash) {
		*slash = 0;
		ci_mkdir_all(pre, c, 0);
	}
	int dir = parentdir(path, c, &base);
	if (dir < 0)
		fail_open(pre, path);
	struct stat st;
	if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if ((st.st_mode & S_IFMT) != type || (type != S_IFIFO && st.st_rdev != rdev))
			ci_die("device %s: device %s: a file that is not this device is already there", path, path);
		unlinkat(dir, base, 0);
	}
	if (mknodat(dir, base, type | mode, rdev) < 0)
		ci_die("%smknod: %s", pre, ci_errstr(errno));
	if ((uid || gid) && fchownat(dir, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		ci_die("%s%s", pre, ci_errstr(errno));
	close(dir);
}

void ci_op_symlink(void)
{
	const char *target = ci_str(), *path = ci_str();
	char c[PATHMAX];
	const char *base;
	ci_clean(c, path);
	char *slash = strrchr(c, '/');
	if (slash) {
		*slash = 0;
		ci_mkdir_all("", c, 0);
	}
	int dir = parentdir(path, c, &base);
	if (dir < 0)
		fail_open("", path);
	if (symlinkat(target, dir, base) < 0 && errno != EEXIST)
		ci_die("symlink %s: %s", path, ci_errstr(errno));
	close(dir);
}

// op_pivot is rootfs.Pivot with a mount namespace.
void ci_op_pivot(void)
{
	const char *rootfs = ci_str();
	int nopivot = ci_num();
	if (nopivot) {
		if (chdir(rootfs) < 0)
			ci_die("chdir %s: %s", rootfs, ci_errstr(errno));
		if (mount(rootfs, "/", "", MS_MOVE, "") < 0)
			ci_die("move rootfs: %s", ci_errstr(errno));
		if (chroot(".") < 0)
			ci_die("chroot: %s", ci_errstr(errno));
		(void)!chdir("/");
		return;
	}
	int old = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (old < 0)
		ci_die("open /: %s", ci_errstr(errno));
	if (chdir(rootfs) < 0)
		ci_die("chdir %s: %s", rootfs, ci_errstr(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		ci_die("pivot_root %s: %s", rootfs, ci_errstr(errno));
	if (fchdir(old) < 0)
		ci_die("fchdir: %s", ci_errstr(errno));
	// Slave first so the detach never propagates to the host.
	if (mount("", ".", "", MS_SLAVE | MS_REC, "") < 0)
		ci_die("make old root slave: %s", ci_errstr(errno));
	if (umount2(".", MNT_DETACH) < 0)
		ci_die("detach old root: %s", ci_errstr(errno));
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
void ci_op_sysctl(void)
{
	const char *key = ci_str(), *rel = ci_str(), *val = ci_str();
	int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0)
		ci_die("sysctl %s: open /proc: %s", key, ci_errstr(errno));
	if (on_procfs(proc) < 0)
		ci_die("sysctl %s: /proc: not on procfs", key);
	struct open_how how = {.flags = O_WRONLY | O_CLOEXEC | O_TRUNC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	int fd = syscall(SYS_openat2, proc, rel, &how, sizeof(how));
	if (fd < 0 && errno == EXDEV)
		ci_die("sysctl %s: /proc/%s is covered by a mount, not procfs: refusing to write through it", key, rel);
	if (fd < 0)
		ci_die("sysctl %s: %s", key, ci_errstr(errno));
	if (on_procfs(fd) < 0)
		ci_die("sysctl %s: not on procfs", key);
	if (write(fd, val, strlen(val)) < 0)
		ci_die("sysctl %s=%s: %s", key, val, ci_errstr(errno));
	close(fd);
	close(proc);
}

// op_mask is rootfs.mask: a directory under an empty read-only tmpfs, a
// file under the container's /dev/null, checked to be the null device
// (CVE-2025-31133).
void ci_op_mask(void)
{
	const char *p = ci_str();
	struct stat st;
	if (stat(p, &st) < 0) {
		if (errno == ENOENT)
			return;
		ci_die("mask %s: stat %s: %s", p, p, ci_errstr(errno));
	}
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", p, "tmpfs", MS_RDONLY, "") < 0)
			ci_die("mask %s: %s", p, ci_errstr(errno));
		return;
	}
	int null = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (null < 0)
		ci_die("mask %s: open /dev/null for masking: %s", p, ci_errstr(errno));
	if (fstat(null, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		ci_die("mask %s: /dev/null in the container is not the null device (mode %#o): refusing to mask with it", p,
		    st.st_mode);
	if (mount(ci_fdpath(null), p, "", MS_BIND, "") < 0)
		ci_die("mask %s: %s", p, ci_errstr(errno));
	close(null);
}

void ci_op_readonly(void)
{
	const char *p = ci_str();
	if (mount(p, p, "", MS_BIND | MS_REC, "") < 0) {
		if (errno == ENOENT)
			return;
		ci_die("readonly %s: %s", p, ci_errstr(errno));
	}
	if (ci_remount(p, MS_RDONLY | MS_REC) < 0)
		ci_die("readonly %s: remount: %s", p, ci_errstr(errno));
}

void ci_op_write_proc(void)
{
	const char *what = ci_str(), *file = ci_str(), *val = ci_str();
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		ci_die("%s: open %s: %s", what, file, ci_errstr(errno));
	close(fd);
}


// ci_op_console is rootfs.Console and runtime.sendConsole: a new pty in
// the container's devpts, the slave bound over /dev/console, the master
// sent to the console socket. The slave replaces create's stdio now, as
// in the Go init (a caller reading create's output to EOF would wait for
// start otherwise).
void ci_op_console(void)
{
	int sock = ci_num(), sized = ci_num();
	unsigned short rows = ci_num(), cols = ci_num();
	int console = ci_num(); // the init's: /dev/console, and stdio now (exec: neither)
	int mfd = openroot("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
	if (mfd < 0)
		fail_open("open ptmx (is /dev/pts mounted?): ", "/dev/pts/ptmx");
	unsigned int n;
	int unlock = 0;
	if (ioctl(mfd, TIOCGPTN, &n) < 0 || ioctl(mfd, TIOCSPTLCK, &unlock) < 0)
		ci_die("unlock pty: %s", ci_errstr(errno));
	char name[32];
	snprintf(name, sizeof(name), "/dev/pts/%u", n);
	int sfd = openroot(name, O_RDWR | O_NOCTTY);
	if (sfd < 0)
		fail_open("", name);
	if (console) {
		mkfile("bind /dev/console: ", "/dev/console");
		int cfd = openroot("/dev/console", O_PATH);
		if (cfd < 0)
			fail_open("bind /dev/console: ", "/dev/console");
		if (mount(ci_fdpath(sfd), ci_fdpath(cfd), "", MS_BIND, "") < 0)
			ci_die("bind /dev/console: %s", ci_errstr(errno));
		close(cfd);
	}
	if (sized) {
		struct winsize ws = {.ws_row = rows, .ws_col = cols};
		ioctl(mfd, TIOCSWINSZ, &ws);
	}
	char path[] = "/dev/ptmx";
	struct iovec iov = {.iov_base = path, .iov_len = sizeof(path) - 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &mfd, sizeof(int));
	if (sendmsg(sock, &msg, 0) < 0)
		ci_die("send pty master to console socket: %s", ci_errstr(errno));
	close(mfd);
	close(sock);
	for (int i = 0; console && i < 3; i++)
		if (dup3(sfd, i, 0) < 0)
			ci_die("terminal as fd %d: %s", i, ci_errstr(errno));
	ci_tty = sfd;
}
