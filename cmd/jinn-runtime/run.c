// `jinn-runtime run [-b BUNDLE] ID` of the common case, served in an ELF
// constructor before the Go runtime starts, from the plan the Go run of
// the same bundle left (internal/runtime/runplan.go). The Go code decides
// everything and this code reads no JSON: it writes the id into the
// plan's holes, checks the plan's key (the exact bytes of config.json, the
// bundle, --root, the cgroup parent, this binary, the boot, the mount
// namespace, the cgroup hierarchies, the oom score) and replays what the
// Go run does, in its order:
//
//	state dir + lock, cgroup record   (newContainer, recordCgroup)
//	[the cgroup2 directory]           (LateEntry, on a hybrid host)
//	clone with the new namespaces     the child execs the init from a
//	                                  read-only clone of this binary
//	                                  (sealedExe: CVE-2019-5736); its
//	                                  C init (internal/nsexec/cinit.c)
//	                                  runs the plan's parts
//	first part sent; v1 cgroups made  (mgr.Apply: cgfs.Mkdir's rules)
//	[second part]; the limits written (setCgroup); the rest sent
//	state.json, the delete plan       holes: pid, start time, created
//	"ready", then EOF at execve       (conn.closed)
//	unlock, wait, forwarding signals  (runtime.Wait)
//	delete.c's delete                 (Remove)
//
// --detach returns once the init is past its execve (the caller, a
// subreaper, takes it); --pid-file is written after "ready", as Go does.
// Network, ipc and uts namespaces joined by path are entered by the child
// before its exec. The id and its 12-byte prefix are holes of the plan,
// its file's name and the config.json it must match.
//
// Anything it does not know returns into Go before any side effect (or
// after undoing its own: the state directory it just made): no plan, a
// stale one, a flag or form of the command line it does not know, a taken
// id (Go reports it), no clone of the binary. A failure once the init is
// forked kills it, removes what was made (the delete plan; Go's delete
// --force if that refuses) and reports as Go's run does (runc's log
// line), exit 1.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "jinnc.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x1
#define MOUNT_ATTR_NOSUID 0x2
#define MOUNT_ATTR_NODEV 0x4
struct mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define RUNPLAN_MAGIC "jinn-run 1"                    /* runplan.go: runPlanMagic */
#define RUNPLAN_DIR "/run/jinn-runtime-plans"         /* runPlanDirDef */
#define DELETE_XATTR "trusted.jinn.delete"            /* deleteplan.go */
#define CGROUP_XATTR "user.jinn.cgroup"               /* resources.go: cgroupXattr */
#define MADE_XATTR "trusted.jinn.made"                /* cgfs.MadeXattr */
#define OOM_ENV "_JINN_OOM_SCORE_ADJ"                 /* oomScoreEnv */
#define PROTECT_SCORE -999                            /* cgroups.ProtectScore */
#define PLAN_MAX (4 << 20)
#define MAXLIST 512

struct blob {
	const char *p;
	size_t n;
};

static struct {
	// the command line
	const char *root, *log, *logfmt, *parent, *bundle, *id, *pidfile;
	char bundle_abs[PATH_MAX], pidfile_abs[PATH_MAX];
	int detach;
	// the plan
	char *buf, *cfg;
	size_t cfgn;
	const char *exe, *proot, *pbundle, *pid_, *pparent, *mntns, *boot, *hier, *oom;
	const char *mnt[MAXLIST];
	int nmnt;
	unsigned long clone;
	int late;
	int jflag[8], njoin;
	const char *jpath[8];
	const char *dir[MAXLIST];
	int ndir;
	const char *cpuset, *v2dir, *v2root, *v2ctl;
	const char *enable[MAXLIST];
	int nenable, loose;
	char *wpath[MAXLIST], *wdata[MAXLIST];
	int nw;
	struct blob config, cgrec, part[3], state, del;
	int nparts;
	// the run
	int logfd;
	char oldoom[32];
	int oomset;
	char dirpath[PATH_MAX];
	int dfd, sock;
	pid_t pid;
	unsigned long long start;
} R = {.root = "/run/jinn-runtime", .logfmt = "text", .logfd = -1, .dfd = -1, .sock = -1, .pid = -1};

// ---- the command line ----

// clean says whether p is as filepath.Clean leaves it (no empty, "." or
// ".." element, no trailing slash), so that the kernel's walk of it is
// the walk of Go's filepath.Abs result.
static int clean(const char *p)
{
	for (const char *e = p; *e;) {
		const char *s = strchr(e, '/');
		size_t n = s ? (size_t)(s - e) : strlen(e);
		if ((n == 0 && e != p) || (n == 1 && e[0] == '.') || (n == 2 && e[0] == '.' && e[1] == '.'))
			return 0;
		if (s == NULL)
			return 1;
		e = s + 1;
		if (*e == 0)
			return 0;
	}
	return 1;
}

// abs_clean is filepath.Abs of a clean path p into out (PATH_MAX); -1 (Go's
// to serve) for anything else.
static int abs_clean(const char *p, char *out)
{
	if (!clean(p) || (p[0] == '/' && p[1] == 0))
		return -1;
	if (p[0] == '/') {
		if (strlen(p) >= PATH_MAX)
			return -1;
		strcpy(out, p);
		return 0;
	}
	if (getcwd(out, PATH_MAX) == NULL || out[0] != '/')
		return -1;
	size_t l = strlen(out);
	if (l + 1 + strlen(p) >= PATH_MAX)
		return -1;
	snprintf(out + l, PATH_MAX - l, "%s%s", l == 1 ? "" : "/", p);
	return 0;
}

// parse accepts "[global flags] run [--bundle|-b B] [--detach|-d]
// [--pid-file P] ID" with the global flags delete.c knows; anything else
// (--debug, --console-socket, --no-pivot, ...) is Go's.
static int parse(int argc, char **argv)
{
	struct global g = {.root = R.root, .logfmt = R.logfmt};
	int i = global_flags(argc, argv, &g);
	const char *parent = g.parent ? g.parent : getenv("JINN_CGROUP_PARENT"); /* cgroups.ParentEnv */
	int parent_flag = g.parent != NULL;
	R.root = g.root, R.log = g.log, R.logfmt = g.logfmt;
	if (i < 0 || strcmp(argv[i], "run") != 0)
		return -1;
	for (i++; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--bundle") == 0 || strcmp(a, "-b") == 0) {
			if (i + 1 >= argc)
				return -1;
			R.bundle = argv[++i];
		} else if (strncmp(a, "--bundle=", 9) == 0) {
			R.bundle = a + 9;
		} else if (strcmp(a, "--detach") == 0 || strcmp(a, "-d") == 0) {
			R.detach = 1;
		} else if (strcmp(a, "--pid-file") == 0) {
			if (i + 1 >= argc)
				return -1;
			R.pidfile = argv[++i];
		} else if (strncmp(a, "--pid-file=", 11) == 0) {
			R.pidfile = a + 11;
		} else if (a[0] == '-' || R.id != NULL) {
			return -1;
		} else {
			R.id = a;
		}
	}
	if (R.id == NULL || !valid_id(R.id) || R.root[0] != '/')
		return -1;
	// A flag is taken as given (an empty one is Go's error to report);
	// an empty variable means the default, as cgroups.ParentFromEnv.
	R.parent = parent_flag || (parent && *parent) ? parent : "jinn"; /* cgroups.DefaultParent */
	if (!valid_parent(R.parent))
		return -1;
	if (R.pidfile && *R.pidfile && abs_clean(R.pidfile, R.pidfile_abs) < 0)
		return -1;
	// filepath.Abs: a bundle not clean already differs from the plan's.
	if (R.bundle && R.bundle[0] == '/') {
		if (strlen(R.bundle) >= sizeof R.bundle_abs)
			return -1;
		strcpy(R.bundle_abs, R.bundle);
	} else {
		if (getcwd(R.bundle_abs, sizeof R.bundle_abs) == NULL)
			return -1;
		if (R.bundle && *R.bundle) {
			size_t l = strlen(R.bundle_abs);
			if (l + 1 + strlen(R.bundle) >= sizeof R.bundle_abs)
				return -1;
			snprintf(R.bundle_abs + l, sizeof R.bundle_abs - l, "/%s", R.bundle);
		}
	}
	return 0;
}

// ---- the plan ----

// ours is runtime.ours: root's, and nobody else may write it.
static int ours(int fd, mode_t type)
{
	struct stat st;
	return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_uid == 0 && (st.st_mode & 022) == 0;
}

#define ID_PREFIX 12 /* runtime.idPrefixLen */

// fill_id writes the id into b (n bytes) at the offsets of the line q
// ("OFF OFF ..."), or its first len bytes: -1 if one is out of range.
static int fill_id(char *b, size_t n, const char *q, size_t len)
{
	char *e;
	while (*q == ' ') {
		unsigned long long off = strtoull(q + 1, &e, 10);
		if (e == q + 1 || off > n || n - off < len)
			return -1;
		memcpy(b + off, R.id, len);
		q = e;
	}
	return *q ? -1 : 0;
}

// blank_id is runtime.fillIDHoles(b, id, "\x01..."): from the left, the
// id, else its 12-byte prefix, blanked out of b's n bytes.
static void blank_id(char *b, size_t n)
{
	size_t il = strlen(R.id), pl = il > ID_PREFIX ? ID_PREFIX : 0;
	for (size_t i = 0; i < n;) {
		if (n - i >= il && memcmp(b + i, R.id, il) == 0) {
			memset(b + i, 1, il);
			i += il;
		} else if (pl && n - i >= pl && memcmp(b + i, R.id, pl) == 0) {
			memset(b + i, 1, pl);
			i += pl;
		} else {
			i++;
		}
	}
}

// read_config reads the bundle's config.json (Go's is the error to report).
static int read_config(void)
{
	char path[PATH_MAX];
	struct stat st;
	if ((size_t)snprintf(path, sizeof path, "%s/config.json", R.bundle_abs) >= sizeof path)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size <= PLAN_MAX &&
		 (R.cfg = malloc(st.st_size)) != NULL && ci_readfull(fd, R.cfg, st.st_size) == 0;
	close(fd);
	R.cfgn = ok ? st.st_size : 0;
	return ok ? 0 : -1;
}

// load reads the plan of this run: RunPlanFile's name, fnv-1a of the
// root, the bundle, the id's length and config.json (the id and its
// prefix blanked out of the bundle and the config); the id and its prefix
// are written into the plan's holes (runtime.idHoles) before anything is
// read from it.
static int load(void)
{
	const char *dir = RUNPLAN_DIR, *env = getenv("JINN_RUNTIME_PLAN_DIR");
	if (env != NULL)
		dir = env;
	if (dir[0] != '/')
		return -1;
	uint64_t h = 14695981039346656037ULL;
	char idlen[24];
	snprintf(idlen, sizeof idlen, "%zu", strlen(R.id));
	char blanked[PATH_MAX];
	strcpy(blanked, R.bundle_abs);
	blank_id(blanked, strlen(blanked));
	const char *key[] = {R.root, blanked, idlen};
	for (int k = 0; k < 3; k++)
		for (const unsigned char *p = (const unsigned char *)key[k];; p++) {
			h = (h ^ *p) * 1099511628211ULL; // the NUL too, between them
			if (*p == 0)
				break;
		}
	char *cfg = malloc(R.cfgn);
	if (cfg == NULL)
		return -1;
	memcpy(cfg, R.cfg, R.cfgn);
	blank_id(cfg, R.cfgn);
	for (size_t i = 0; i < R.cfgn; i++)
		h = (h ^ (unsigned char)cfg[i]) * 1099511628211ULL;
	free(cfg);
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof path, "%s/run-%016llx", dir, (unsigned long long)h) >= sizeof path)
		return -1;
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	int ok = ours(dfd, S_IFDIR);
	close(dfd);
	int fd = ok ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (fd < 0)
		return -1;
	struct stat st;
	if (!ours(fd, S_IFREG) || fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > PLAN_MAX ||
	    (R.buf = malloc(st.st_size + 1)) == NULL || ci_readfull(fd, R.buf, st.st_size) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	R.buf[st.st_size] = 0;
	char *p = R.buf, *end = R.buf + st.st_size;
	// "jinn-run 1", then "holes IDLEN OFFSET...": the body's id bytes,
	// "prefix OFFSET...": its prefix's.
	size_t ml = strlen(RUNPLAN_MAGIC);
	if ((size_t)(end - p) < ml + 1 || memcmp(p, RUNPLAN_MAGIC "\n", ml + 1) != 0)
		return -1;
	p += ml + 1;
	char *nl = memchr(p, '\n', end - p), *pl = nl ? memchr(nl + 1, '\n', end - nl - 1) : NULL;
	if (nl == NULL || pl == NULL || strncmp(p, "holes ", 6) != 0 || strncmp(nl + 1, "prefix", 6) != 0)
		return -1;
	*nl = *pl = 0;
	char *body = pl + 1, *q = p + 6, *e;
	size_t n = strtoul(q, &e, 10), idl = strlen(R.id), blen = end - body;
	if (e == q || n != idl || fill_id(body, blen, e, idl) < 0)
		return -1;
	if (strcmp(nl + 1, "prefix") != 0 && (idl <= ID_PREFIX || fill_id(body, blen, nl + 7, ID_PREFIX) < 0))
		return -1;
	p = body;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (nl == NULL)
			return -1;
		*nl = 0;
		char *line = p, *sp = strchr(line, ' '), *v = sp ? sp + 1 : "";
		p = nl + 1;
		if (strcmp(line, "end") == 0)
			return p == end && R.config.p && R.state.p && R.del.p && R.cgrec.p && R.nparts >= 2 ? 0 : -1;
		if (sp == NULL)
			return -1;
		*sp = 0;
		if (strcmp(line, "blob") == 0) {
			char *name = v, *num = strchr(v, ' ');
			if (num == NULL)
				return -1;
			*num++ = 0;
			char *e;
			unsigned long long n = strtoull(num, &e, 10);
			if (*e || n > (unsigned long long)(end - p) || (size_t)(end - p) < n + 1 || p[n] != '\n')
				return -1;
			struct blob b = {p, n};
			p += n + 1;
			if (strcmp(name, "config") == 0)
				R.config = b;
			else if (strcmp(name, "cgrec") == 0)
				R.cgrec = b;
			else if (strcmp(name, "part") == 0 && R.nparts < 3)
				R.part[R.nparts++] = b;
			else if (strcmp(name, "state") == 0)
				R.state = b;
			else if (strcmp(name, "delete") == 0)
				R.del = b;
			else
				return -1;
			continue;
		}
#define FIELD(n, f)                       \
	if (strcmp(line, n) == 0) {       \
		f = v;                    \
		continue;                 \
	}
		FIELD("exe", R.exe)
		FIELD("root", R.proot)
		FIELD("bundle", R.pbundle)
		FIELD("id", R.pid_)
		FIELD("parent", R.pparent)
		FIELD("mntns", R.mntns)
		FIELD("boot", R.boot)
		FIELD("hier", R.hier)
		FIELD("oom", R.oom)
		FIELD("cpuset", R.cpuset)
		FIELD("v2dir", R.v2dir)
#undef FIELD
		if (strcmp(line, "mnt") == 0 && R.nmnt < MAXLIST) {
			R.mnt[R.nmnt++] = v;
		} else if (strcmp(line, "dir") == 0 && R.ndir < MAXLIST) {
			R.dir[R.ndir++] = v;
		} else if (strcmp(line, "write") == 0 && R.nw < MAXLIST) {
			char *tab = strchr(v, '\t');
			if (tab == NULL)
				return -1;
			*tab = 0;
			R.wpath[R.nw] = v;
			R.wdata[R.nw++] = tab + 1;
		} else if ((strcmp(line, "v2enable") == 0 || strcmp(line, "v2each") == 0) && R.nenable < MAXLIST) {
			R.enable[R.nenable++] = v;
			R.loose = line[2] == 'e' && line[3] == 'a'; /* v2each */
		} else if (strcmp(line, "v2ctl") == 0) {
			char *tab = strchr(v, '\t');
			if (tab == NULL)
				return -1;
			*tab = 0;
			R.v2root = v;
			R.v2ctl = tab + 1;
		} else if (strcmp(line, "clone") == 0) {
			R.clone = strtoul(v, NULL, 10);
		} else if (strcmp(line, "join") == 0) {
			char *path = strchr(v, ' ');
			if (path == NULL || R.njoin == 8)
				return -1;
			R.jflag[R.njoin] = strtol(v, NULL, 10);
			R.jpath[R.njoin++] = path + 1;
		} else if (strcmp(line, "late") == 0) {
			R.late = strcmp(v, "1") == 0;
		} else {
			return -1;
		}
	}
	return -1;
}

static int cg_read(const char *dir, const char *file, char *out, size_t size);

static int eq(const char *a, const char *b) { return a != NULL && b != NULL && strcmp(a, b) == 0; }

// hierarchies is cgroups.hierarchyKey: /proc/self/cgroup without paths.
static int hierarchies(char *out, size_t size)
{
	char buf[8192];
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0 || n == sizeof buf - 1)
		return -1;
	buf[n] = 0;
	size_t o = 0;
	out[0] = 0;
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *c = strrchr(l, ':');
		if (c == NULL || c == l)
			continue;
		*c = 0;
		int w = snprintf(out + o, size - o, "%s%s", o ? ";" : "", l);
		if (w < 0 || (size_t)w >= size - o)
			return -1;
		o += w;
	}
	return 0;
}

// fresh checks the plan's key against this command and this host.
static int fresh(void)
{
	if (!eq(R.proot, R.root) || !eq(R.pbundle, R.bundle_abs) || !eq(R.pid_, R.id) || !eq(R.pparent, R.parent))
		return 0;
	char s[256];
	struct stat st;
	if (stat("/proc/self/exe", &st) < 0)
		return 0;
	snprintf(s, sizeof s, "%llu %llu %lld %lld %ld", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
	    (long long)st.st_size, (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
	if (!eq(R.exe, s) || stat("/proc/self/ns/mnt", &st) < 0)
		return 0;
	snprintf(s, sizeof s, "%llu %llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	if (!eq(R.mntns, s))
		return 0;
	char key[4096];
	if (cg_read("/proc/sys/kernel/random", "boot_id", key, sizeof key) < 0 || !eq(R.boot, key))
		return 0;
	if (hierarchies(key, sizeof key) < 0 || !eq(R.hier, key))
		return 0;
	for (int i = 0; i < R.nmnt; i++) {
		unsigned long long dev, ino;
		int off = 0;
		struct statfs sf;
		if (sscanf(R.mnt[i], "%llu %llu %n", &dev, &ino, &off) != 2 || off == 0 || stat(R.mnt[i] + off, &st) < 0 ||
		    st.st_dev != dev || st.st_ino != ino || statfs(R.mnt[i] + off, &sf) < 0 ||
		    (sf.f_type != 0x27e0eb && sf.f_type != 0x63677270))
			return 0;
	}
	if ((R.v2dir != NULL) != (R.v2root != NULL))
		return 0;
	if (R.v2root) {
		char ctl[4096];
		if (cg_read(R.v2root, "cgroup.controllers", ctl, sizeof ctl) < 0 || !eq(ctl, R.v2ctl))
			return 0;
	}
	// The template with this id written into its holes, every byte.
	return R.cfgn == R.config.n && memcmp(R.cfg, R.config.p, R.cfgn) == 0;
}

// protect is runtime.ProtectSelf, and says whether the oom score it leaves
// for the init is the plan's.
static int protect(void)
{
	int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, R.oldoom, sizeof R.oldoom - 1);
	if (n <= 0) {
		close(fd);
		return 0;
	}
	R.oldoom[n] = 0;
	R.oldoom[strcspn(R.oldoom, "\n")] = 0;
	const char *want = R.oldoom;
	if (atoi(R.oldoom) > PROTECT_SCORE) {
		if (pwrite(fd, "-999", 4, 0) == 4) {
			R.oomset = 1;
		} else {
			want = getenv(OOM_ENV);
			if (want == NULL || *want == 0)
				want = "-";
		}
	}
	close(fd);
	return eq(R.oom, want);
}

// unprotect gives back the oom score before returning into Go, whose
// ProtectSelf would otherwise take -999 for the runtime's own.
static void unprotect(void)
{
	if (!R.oomset)
		return;
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, R.oldoom, strlen(R.oldoom));
		close(fd);
	}
	R.oomset = 0;
}

// ---- reporting, as ocicli's fatal and logrus ----

static const char *errstr(int e)
{
	static char buf[128];
	snprintf(buf, sizeof buf, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] += 'a' - 'A';
	return buf;
}

// quote appends s quoted as Go's %q (text) or as encoding/json does.
static size_t quote(char *out, size_t size, const char *s, int json)
{
	size_t o = 0;
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p && o < size - 8; p++) {
		unsigned char c = *p;
		if (c == '"' || c == '\\')
			o += snprintf(out + o, size - o, "\\%c", c);
		else if (c == '\n')
			o += snprintf(out + o, size - o, "\\n");
		else if (c == '\t')
			o += snprintf(out + o, size - o, "\\t");
		else if (c == '\r')
			o += snprintf(out + o, size - o, "\\r");
		else if (json && (c < 0x20 || c == '<' || c == '>' || c == '&'))
			o += snprintf(out + o, size - o, "\\u%04x", c);
		else if (!json && (c < 0x20 || c == 0x7f))
			o += snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = c;
	}
	out[o++] = '"';
	out[o] = 0;
	return o;
}

// report writes msg as runc's logrus line (to --log, or stderr), and on
// stderr too when the log is a file (ocicli's fatal).
static void report(const char *msg)
{
	char when[64], qm[8300], qt[160], line[8600];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	if (tm.tm_gmtoff == 0)
		snprintf(when + n, sizeof when - n, "Z");
	else
		snprintf(when + n, sizeof when - n, "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+',
		    labs(tm.tm_gmtoff) / 3600, labs(tm.tm_gmtoff) % 3600 / 60);
	int json = strcmp(R.logfmt, "json") == 0, len;
	quote(qm, sizeof qm, msg, json);
	if (json)
		len = snprintf(line, sizeof line, "{\"level\":\"error\",\"msg\":%s,\"time\":\"%s\"}\n", qm, when);
	else
		len = snprintf(line, sizeof line, "time=%s level=error msg=%s\n", (quote(qt, sizeof qt, when, 0), qt), qm);
	if (len > (int)sizeof line - 1)
		len = sizeof line - 1;
	(void)!write(R.logfd >= 0 ? R.logfd : 2, line, len);
	if (R.logfd >= 0)
		dprintf(2, "%s\n", msg);
}

// fatal reports and ends the run: exit 1.
__attribute__((noreturn, format(printf, 1, 2))) static void fatal(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report(msg);
	_exit(1);
}

static void cleanup(void);

// FAIL is a failure once the init is forked: undo, report, exit 1. The
// message is made first: the undoing changes errno.
#define FAIL(...)                                              \
	do {                                                   \
		char fail_msg_[2 * PATH_MAX + 512];            \
		snprintf(fail_msg_, sizeof fail_msg_, __VA_ARGS__); \
		cleanup();                                     \
		fatal("%s", fail_msg_);                        \
	} while (0)

// ---- the cgroups (cgfs.Mkdir, v1.Create's cpusets, setCgroup) ----

static int cg_read(const char *dir, const char *file, char *out, size_t size)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, file);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, out, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	while (n > 0 && out[n - 1] == '\n')
		n--;
	out[n] = 0;
	return 0;
}

static int cg_write(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, data, strlen(data));
	int e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

static void up_of(const char *dir, char *up)
{
	strcpy(up, dir);
	char *s = strrchr(up, '/');
	if (s == NULL)
		strcpy(up, ".");
	else if (s == up)
		up[1] = 0;
	else
		*s = 0;
}

struct made {
	char *v[64];
	int n;
};

// mkdir_once is cgfs.mkdirOnce: mkdir first, the parents only on ENOENT,
// each parent made marked as jinn's.
static int mkdir_once(const char *dir, struct made *m)
{
	if (mkdir(dir, 0755) == 0)
		goto made;
	if (errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	char up[PATH_MAX];
	up_of(dir, up);
	if (strcmp(up, dir) == 0 || strcmp(up, ".") == 0 || strcmp(up, "/") == 0) {
		errno = ENOENT;
		return -1;
	}
	int before = m->n;
	if (mkdir_once(up, m) < 0)
		return -1;
	if (m->n > before && strcmp(m->v[m->n - 1], up) == 0)
		setxattr(up, MADE_XATTR, "1", 1, 0);
	if (mkdir(dir, 0755) == 0)
		goto made;
	return errno == EEXIST ? 0 : -1;
made:
	if (m->n < 64)
		m->v[m->n++] = strdup(dir);
	return 0;
}

// init_cpuset is v1.initCpuset: a cpuset with no CPUs or memory nodes
// takes its parent's, the parent filled in first if it has none.
static int init_cpuset(const char *dir)
{
	static const char *files[] = {"cpuset.cpus", "cpuset.mems"};
	char up[PATH_MAX], cur[4096], val[4096], p[PATH_MAX];
	up_of(dir, up);
	for (int i = 0; i < 2; i++) {
		if (cg_read(dir, files[i], cur, sizeof cur) < 0)
			return -1;
		if (cur[0])
			continue;
		if (cg_read(up, files[i], val, sizeof val) < 0)
			return -1;
		if (val[0] == 0 && strcmp(up, "/") != 0) {
			if (init_cpuset(up) < 0 || cg_read(up, files[i], val, sizeof val) < 0)
				return -1;
		}
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		if (cg_write(p, val) < 0)
			return -1;
	}
	return 0;
}

// make_cgroups is mgr.Apply on a v1 host.
static void make_cgroups(void)
{
	for (int i = 0; i < R.ndir; i++) {
		struct made m = {.n = 0};
		int r = 0;
		for (int t = 0; t < 20; t++) {
			r = mkdir_once(R.dir[i], &m);
			if (r == 0 || errno != ENOENT)
				break;
		}
		if (r < 0)
			FAIL("cgroup apply: make cgroup %s: %s", R.dir[i], errstr(errno));
		if (eq(R.cpuset, R.dir[i]))
			for (int k = 0; k < m.n; k++)
				if (init_cpuset(m.v[k]) < 0)
					FAIL("cgroup apply: init cpuset %s: %s", m.v[k], errstr(errno));
		for (int k = 0; k < m.n; k++)
			free(m.v[k]);
	}
}

// enable_all is v2.enableAll: every controller dir has, in its
// subtree_control.
static int enable_all(const char *dir)
{
	char avail[4096], on[4096], add[4096] = "", p[PATH_MAX];
	if (cg_read(dir, "cgroup.controllers", avail, sizeof avail) < 0 ||
	    cg_read(dir, "cgroup.subtree_control", on, sizeof on) < 0)
		return -1;
	size_t o = 0;
	for (char *save = NULL, *c = strtok_r(avail, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		int enabled = 0;
		for (const char *q = on; *q;) {
			size_t l = strcspn(q, " ");
			if (l == strlen(c) && strncmp(q, c, l) == 0)
				enabled = 1;
			q += l;
			q += strspn(q, " ");
		}
		if (!enabled)
			o += snprintf(add + o, sizeof add - o, "%s+%s", o ? " " : "", c);
	}
	if (o == 0)
		return 0;
	snprintf(p, sizeof p, "%s/cgroup.subtree_control", dir);
	return cg_write(p, add);
}

// enable_each is v2.enableEach: each controller dir has, refusals
// ignored (a cgroup outside jinn's parent takes what it allows).
static void enable_each(const char *dir)
{
	char avail[4096], p[PATH_MAX], c1[256];
	if (cg_read(dir, "cgroup.controllers", avail, sizeof avail) < 0)
		return;
	snprintf(p, sizeof p, "%s/cgroup.subtree_control", dir);
	for (char *save = NULL, *c = strtok_r(avail, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		snprintf(c1, sizeof c1, "+%s", c);
		cg_write(p, c1);
	}
}

// make_unified is LateEntry's v2.Create on a hybrid host: the cgroup2
// directory the init is cloned into. Returns its fd, -1 if none.
static int make_unified(void)
{
	if (R.v2dir == NULL)
		return -1;
	struct made m = {.n = 0};
	int r = 0;
	for (int t = 0; t < 20; t++) {
		r = mkdir_once(R.v2dir, &m);
		if (r == 0 || errno != ENOENT)
			break;
	}
	for (int k = 0; k < m.n; k++)
		free(m.v[k]);
	if (r < 0)
		FAIL("cgroup apply: make cgroup %s: %s", R.v2dir, errstr(errno));
	for (int i = 0; i < R.nenable; i++)
		if (enable_all(R.enable[i]) < 0) {
			if (!R.loose)
				FAIL("cgroup apply: enable controllers in %s: %s", R.enable[i], errstr(errno));
			enable_each(R.enable[i]);
		}
	int fd = open(R.v2dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		FAIL("open cgroup: %s", errstr(errno));
	return fd;
}

static void set_limits(void)
{
	for (int i = 0; i < R.nw; i++)
		if (cg_write(R.wpath[i], R.wdata[i]) < 0)
			FAIL("cgroup set: write \"%s\" to %s: %s", R.wdata[i], R.wpath[i], errstr(errno));
}

// ---- the init ----

static const char *render(struct blob t, char *out, size_t size, const char *pid, const char *start,
    const char *created)
{
	size_t o = 0;
	for (size_t i = 0; i < t.n; i++) {
		const char *v = NULL;
		switch (t.p[i]) {
		case 1: v = pid; break;
		case 2: v = start; break;
		case 3: v = created; break;
		}
		size_t l = v ? strlen(v) : 1;
		if (o + l + 1 > size)
			return NULL;
		if (v)
			memcpy(out + o, v, l);
		else
			out[o] = t.p[i];
		o += l;
	}
	out[o] = 0;
	return out;
}

static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	for (int f = 0; p && f < 20; f++)
		if ((p = strchr(p + 1, ' ')) == NULL)
			return 0;
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

// cleanup undoes a failed run once the init is forked: kills it and
// removes the cgroups and the state as its delete would.
static void cleanup(void)
{
	if (R.pid > 0) {
		kill(R.pid, SIGKILL);
		while (waitpid(R.pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	char pid[32], *plan = malloc(R.del.n + 64);
	snprintf(pid, sizeof pid, "%d", R.pid);
	if (plan && render(R.del, plan, R.del.n + 64, pid, "0", "") && run_plan(plan) == 0) {
		remove_state(R.dfd, R.dirpath);
		return;
	}
	// The Go delete's orphan path: it finds the cgroups by the record.
	pid_t p = fork();
	if (p == 0) {
		execl("/proc/self/exe", "jinn-runtime", "--root", R.root, "delete", "--force", R.id, (char *)NULL);
		_exit(1);
	}
	while (p > 0 && waitpid(p, NULL, 0) < 0 && errno == EINTR)
		;
}


static void send_part(int i)
{
	size_t done = 0;
	while (done < R.part[i].n) {
		ssize_t n = send(R.sock, R.part[i].p + done, R.part[i].n - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; // the init failed: recv reports why
		done += n;
	}
}

// recv_msg reads one JSON line of the init's: 1 a message (type in t,
// an error's text in msg), 0 EOF, -1 an error.
static int recv_msg(char *t, size_t tsize, char *msg, size_t msize)
{
	static char buf[8192];
	static size_t have;
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		if (nl) {
			*nl = 0;
			const char *p = strstr(buf, "\"type\":\"");
			t[0] = msg[0] = 0;
			if (p) {
				p += 8;
				size_t l = strcspn(p, "\"");
				snprintf(t, tsize, "%.*s", (int)(l < tsize ? l : tsize - 1), p);
			}
			const char *m = strstr(buf, "\"msg\":\"");
			if (m) {
				size_t o = 0;
				for (m += 7; *m && *m != '"' && o < msize - 1; m++) {
					if (*m == '\\' && m[1] == 'u' && strlen(m) >= 6) {
						msg[o++] = (char)strtol((char[]){m[2], m[3], m[4], m[5], 0}, NULL, 16);
						m += 5;
					} else if (*m == '\\' && m[1]) {
						msg[o++] = *++m;
					} else {
						msg[o++] = *m;
					}
				}
				msg[o] = 0;
			}
			size_t used = nl + 1 - buf;
			memmove(buf, nl + 1, have - used);
			have -= used;
			return 1;
		}
		if (have == sizeof buf)
			return -1;
		ssize_t n = read(R.sock, buf + have, sizeof buf - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ECONNRESET ? 0 : -1;
		if (n == 0)
			return 0;
		have += n;
	}
}

// write_pid_file is runtime.writePidFile: the pid, no newline, by rename
// (atomicfile.WriteFile, its second write of the run after state.json).
static void write_pid_file(pid_t pid)
{
	if (R.pidfile == NULL || *R.pidfile == 0)
		return;
	char tmp[PATH_MAX + 64], data[32];
	int n = snprintf(data, sizeof data, "%d", pid);
	snprintf(tmp, sizeof tmp, "%s.tmp%d-2", R.pidfile_abs, getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		FAIL("write pid file: open %s: %s", tmp, errstr(errno));
	if (write(fd, data, n) != n || close(fd) < 0) {
		int e = errno;
		unlink(tmp);
		FAIL("write pid file: write %s: %s", tmp, errstr(e));
	}
	if (rename(tmp, R.pidfile_abs) < 0) {
		int e = errno;
		unlink(tmp);
		FAIL("write pid file: rename %s %s: %s", tmp, R.pidfile_abs, errstr(e));
	}
}

// create is runtime.Create from the fork on.
static void create(int exefd)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		FAIL("socketpair: %s", errstr(errno));
	R.sock = sv[0];
	// The namespaces joined by path, opened here (nsexec opens them all
	// before its first setns), joined by the child before its exec.
	int jfd[8];
	for (int i = 0; i < R.njoin; i++)
		if ((jfd[i] = open(R.jpath[i], O_RDONLY | O_CLOEXEC)) < 0)
			FAIL("nsexec: open namespace %s: %s", R.jpath[i], strerror(errno));
	int cgfd = make_unified();
	pid_t pid;
	if (cgfd >= 0) {
		struct {
			uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
			    set_tid_size, cgroup;
		} ca = {.flags = R.clone | 0x200000000ULL /* CLONE_INTO_CGROUP */, .exit_signal = SIGCHLD,
		    .cgroup = cgfd};
		pid = syscall(SYS_clone3, &ca, sizeof ca);
	} else {
		pid = syscall(SYS_clone, R.clone | SIGCHLD, NULL, NULL, NULL, NULL);
	}
	if (pid < 0)
		FAIL("start container init: fork/exec: %s", errstr(errno));
	if (pid == 0) {
		// The child: `jinn-runtime init` from the read-only clone, its
		// sync socket at 3, nothing else of ours past execve.
		int efd = exefd, s = sv[1];
		for (int i = 0; i < R.njoin; i++)
			if (setns(jfd[i], R.jflag[i]) < 0) {
				// nsexec's words: the type is the kernel's check.
				dprintf(s, "{\"type\":\"error\",\"msg\":\"nsexec: setns namespace: %s\"}\n", strerror(errno));
				_exit(1);
			}
		if (efd == 3)
			efd = fcntl(efd, F_DUPFD_CLOEXEC, 4);
		if (s != 3)
			dup2(s, 3);
		else
			fcntl(3, F_SETFD, 0);
		syscall(SYS_close_range, 4, ~0U, CLOSE_RANGE_CLOEXEC);
		char *argv[] = {"jinn-runtime", "init", NULL}, *envp[] = {"_JINN_CINIT=3", NULL};
		syscall(SYS_execveat, efd, "", argv, envp, AT_EMPTY_PATH);
		dprintf(3, "{\"type\":\"error\",\"msg\":\"start container init: %s\"}\n", errstr(errno));
		_exit(1);
	}
	R.pid = pid;
	for (int i = 0; i < R.njoin; i++)
		close(jfd[i]);
	if (cgfd >= 0)
		close(cgfd);
	close(sv[1]);
	close(exefd);
	send_part(0);
	make_cgroups();
	int next = 1;
	if (R.late)
		send_part(next++);
	set_limits();
	for (; next < R.nparts; next++)
		send_part(next);
	R.start = start_time(pid);
	if (R.start == 0)
		FAIL("container init: read /proc/%d/stat", pid);
	// state.json (atomicfile.WriteFile) and the delete plan.
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	char created[64], pidstr[32], startstr[32];
	size_t n = strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%S", &tm);
	if (now.tv_nsec) {
		n += snprintf(created + n, sizeof created - n, ".%09ld", now.tv_nsec);
		while (created[n - 1] == '0')
			created[--n] = 0;
	}
	snprintf(created + n, sizeof created - n, "Z");
	snprintf(pidstr, sizeof pidstr, "%d", pid);
	snprintf(startstr, sizeof startstr, "%llu", R.start);
	size_t size = R.state.n + R.del.n + 256;
	char *state = malloc(size), *del = malloc(size), tmp[64];
	if (!state || !del || !render(R.state, state, size, pidstr, startstr, created) ||
	    !render(R.del, del, size, pidstr, startstr, created))
		FAIL("write state: out of memory");
	snprintf(tmp, sizeof tmp, "state.json.tmp%d-1", getpid());
	int fd = openat(R.dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(state);
	if (fd < 0 || write(fd, state, len) != (ssize_t)len || close(fd) < 0 ||
	    renameat(R.dfd, tmp, R.dfd, "state.json") < 0) {
		int e = errno;
		unlinkat(R.dfd, tmp, 0);
		FAIL("write state: %s", errstr(e));
	}
	fsetxattr(R.dfd, DELETE_XATTR, del, strlen(del), 0);
	free(state);
	free(del);
	// "ready", then the socket's close at execve (conn.closed).
	char t[32], msg[4096];
	int r = recv_msg(t, sizeof t, msg, sizeof msg);
	if (r == 0)
		FAIL("container init exited during create");
	if (r < 0)
		FAIL("read from container init: %s", errstr(errno));
	if (strcmp(t, "error") == 0)
		FAIL("%s", msg);
	if (strcmp(t, "ready") != 0)
		FAIL("container init sent \"%s\"", t);
	write_pid_file(pid);
	r = recv_msg(t, sizeof t, msg, sizeof msg);
	if (r < 0)
		FAIL("read from container init: %s", errstr(errno));
	if (r == 1 && strcmp(t, "error") == 0)
		FAIL("%s", msg);
	if (r == 1)
		FAIL("container init sent an unexpected message \"%s\"", t);
	close(R.sock);
}

static volatile pid_t child;

static void forward(int sig) { kill(child, sig); }

// wait_init is runtime.Wait: the exit status as a shell reports it.
static int wait_init(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	struct sigaction sa = {.sa_handler = forward};
	child = R.pid;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	int ws = 0;
	while (waitpid(R.pid, &ws, 0) < 0 && errno == EINTR)
		;
	return WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
}

// remove is runtime.Remove: a container deleted meanwhile is no error.
static void remove_container(void)
{
	int dfd = open(R.dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	struct stat st;
	static char plan[65536];
	ssize_t n;
	if (flock(dfd, LOCK_EX) < 0 || fstatat(dfd, "state.json", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		close(dfd);
		return;
	}
	if ((n = fgetxattr(dfd, DELETE_XATTR, plan, sizeof plan - 1)) > 0) {
		plan[n] = 0;
		if (run_plan(plan) == 0) {
			// As Go's run: reported, and the exit is still the
			// container's.
			if (remove_state(dfd, R.dirpath) < 0) {
				char msg[PATH_MAX + 128];
				snprintf(msg, sizeof msg, "remove state: %s", errstr(errno));
				report(msg);
			}
			close(dfd);
			return;
		}
	}
	close(dfd);
	pid_t p = fork();
	if (p == 0) {
		execl("/proc/self/exe", "jinn-runtime", "--root", R.root, "delete", "--force", R.id, (char *)NULL);
		_exit(1);
	}
	int ws;
	while (p > 0 && waitpid(p, &ws, 0) < 0 && errno == EINTR)
		;
}

// trace, when JINN_RUN_TRACE names a file, appends the id there: the
// tests' proof that the C run served a command.
static void trace(void)
{
	const char *f = getenv("JINN_RUN_TRACE");
	if (f == NULL || *f == 0)
		return;
	int fd = open(f, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dprintf(fd, "%s\n", R.id);
		close(fd);
	}
}

__attribute__((constructor)) static void jinn_run(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc < 3 || geteuid() != 0 || parse(argc, argv) < 0)
		return;
	const char *c = getenv("JINN_RUNTIME_CINIT"); /* runtime.CInitEnv */
	if ((c && strcmp(c, "0") == 0) || getenv("NOTIFY_SOCKET") || getenv("LISTEN_FDS"))
		return;
	if (read_config() < 0 || load() < 0 || !fresh())
		goto go;
	if (!protect())
		goto go;
	if (R.log && *R.log) {
		// Go's setup makes the log first; a failure is its to report.
		R.logfd = open(R.log, O_WRONLY | O_CREAT | O_APPEND | O_SYNC | O_CLOEXEC, 0644);
		if (R.logfd < 0)
			goto go;
	}
	// The read-only clone of this binary the init runs from (sealedExe).
	int exefd = syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
	if (exefd < 0)
		goto go;
	if (syscall(SYS_mount_setattr, exefd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
		goto closego;
	// newContainer: a taken id is Go's to report.
	if (mkdir(R.root, 0700) < 0 && errno != EEXIST)
		goto closego;
	if ((size_t)snprintf(R.dirpath, sizeof R.dirpath, "%s/%s", R.root, R.id) >= sizeof R.dirpath ||
	    mkdir(R.dirpath, 0711) < 0)
		goto closego;
	R.dfd = open(R.dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (R.dfd < 0 || flock(R.dfd, LOCK_EX) < 0 ||
	    fsetxattr(R.dfd, CGROUP_XATTR, R.cgrec.p, R.cgrec.n, 0) < 0) {
		if (R.dfd >= 0)
			close(R.dfd);
		rmdir(R.dirpath);
		goto closego;
	}
	trace(); // served here from now on, whatever happens
	create(exefd);
	close(R.dfd); // unlocked while it runs: state, kill, exec work
	if (R.detach)
		_exit(0); // the init is the caller's (a subreaper's) from now on
	int code = wait_init();
	remove_container();
	_exit(code);
closego:
	close(exefd);
go:
	unprotect();
	if (R.logfd >= 0)
		close(R.logfd);
	free(R.buf);
	free(R.cfg);
	R.buf = R.cfg = NULL;
}
