// The plan's ops, in the Go path's order (internal/cliplan records them
// at the engine's seams; the op names are the seams'). Each op does what
// its seam did, with the run's own values in the holes. A failure after
// the first write hands the container to Go's `rm -f` (the Go path's own
// cleanup, in its order) and exits 125 with the error, as a Go run's
// failure does; before it, the run returns into Go untouched.
#define _GNU_SOURCE
#include "cliplan.h"
#include "../jinn-monitor-c/frames.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static const char *const kinds[] = {
	"mkdir", "xattr", "rename", "words", "name", "write", "create", "append", "unlink", "snaplock",
	"snapalloc", "snaplink", "snapunlock", "mount", "spawn", "sync", "netns", "attach", "started",
	"umount", "exit", "waitdeleted", "unname", "rmtree", "rmparent", "removed", "sigproxy", "netwait", "rmglob", NULL,
};

int known_op(const char *kind)
{
	for (int i = 0; kinds[i]; i++)
		if (!strcmp(kind, kinds[i]))
			return 1;
	return 0;
}

static char **rm_argv; /* Go's `rm -f -v ID`, for a failure after writes */
static jmp_buf back;   /* replay's: a failure before any write returns into Go */
static char *staging;  /* the container's .new- directory until its name is linked */
static int tracing;    /* JINN_CLI_PLAN_TRACE set: each op's time too */
static struct timespec t0;

// fail ends a run that went wrong after its first write: the Go path's
// cleanup removes what was made, the error is printed as jinn prints one.
static void fail(const char *what, const char *detail)
{
	if (!R.side_effects) {
		trace("c-run miss: %s %s", what, detail ? detail : "");
		longjmp(back, 1);
	}
	trace("c-run fail: %s %s", what, detail ? detail : "");
	if (R.snapfd >= 0)
		close(R.snapfd);
	if (R.conn >= 0)
		close(R.conn);
	if (rm_argv) {
		char *env[] = {NULL};
		spawn_argv(rm_argv, env, 1);
	}
	dprintf(2, "jinn: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(125);
}

static long num(const struct arg *a) { return strtol(a->p, NULL, 10); }

// write_atomic is atomicfile.WriteFile: aside, then renamed in.
static int write_atomic(const char *path, const char *b, size_t n, int mode)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp%d-%d", path, (int)getpid(), ++R.seq);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, b, n);
	close(fd);
	if (w != (ssize_t)n || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

// rmtree is os.RemoveAll: no symlink followed, what is gone is fine.
static void rmtree_at(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				rmtree_at(fd, e->d_name);
		if (d)
			closedir(d);
		else
			close(fd);
	}
	unlinkat(dfd, name, AT_REMOVEDIR);
}

// gen_name is generateName's pick: two random bytes per try, a number
// after the fourth; a taken name is passed over, never taken over.
static int gen_name(const char *id, const struct arg *link)
{
	char *lists[2][300];
	int n[2] = {0, 0};
	for (int l = 0; l < 2; l++) {
		char *w = R.words[l];
		for (char *s = strtok(w, " "); s && n[l] < 300; s = strtok(NULL, " "))
			lists[l][n[l]++] = s;
		if (!n[l])
			return -1;
	}
	for (int i = 0; i < 20; i++) {
		unsigned char b[2];
		char name[128];
		if (getrandom(b, 2, 0) != 2)
			return -1;
		int m = snprintf(name, sizeof name, "%s_%s", lists[0][b[0] % n[0]], lists[1][b[1] % n[1]]);
		if (i > 3)
			snprintf(name + m, sizeof name - m, "%d", b[0] % 10 + i);
		set_hole(HoleName, name);
		char *path = fill(link, NULL);
		int r = symlink(id, path);
		free(path);
		if (r == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

// name links the container's name: a generated one (the link holds the
// name's hole) or the given one, whose taking by another is Go's to
// report (the staging directory goes first: no write is left).
static void op_name(struct op *o, const char *id)
{
	char *path;
	if (memchr(o->args[1].p, HoleName, o->args[1].n)) {
		if (!R.words[0] || gen_name(id, &o->args[1]) < 0)
			fail("could not find a free container name", NULL);
		return;
	}
	path = fill(&o->args[1], NULL);
	if (symlink(id, path) < 0) {
		if (errno == EEXIST && staging) {
			// Taken (or a stale reservation Go takes over): undo the
			// staging directory, the only write so far, and let Go
			// say which.
			rmtree_at(AT_FDCWD, staging);
			R.side_effects = 0;
			fail("name taken", path);
		}
		fail("name", strerror(errno));
	}
	free(path);
}

static void op_snapalloc(struct op *o)
{
	char hint[64] = "", path[4200], t[64];
	long id = num(&o->args[1]) + 1;
	int fd = open(o->args[2].p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t r = read(fd, hint, sizeof hint - 1);
		close(fd);
		hint[r > 0 ? r : 0] = 0;
		long h = strtol(hint, NULL, 10);
		if (h > id)
			id = h;
	}
	for (;; id++) {
		snprintf(path, sizeof path, "%s/%ld", o->args[0].p, id);
		if (mkdir(path, 0700) == 0)
			break;
		if (errno != EEXIST)
			fail("prepare snapshot", strerror(errno));
	}
	snprintf(t, sizeof t, "%ld", id);
	set_hole(HoleSnap, t);
	now_rfc3339(t, sizeof t, NULL);
	set_hole(HoleSnapTm, t);
	fd = open(o->args[2].p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dprintf(fd, "%-20ld\n", id + 1);
		close(fd);
	}
}

static pid_t netns_child;

// netns is makeNetns: the file, a namespace of a child's bound on it, lo
// up in it; this process stays in the host's. The child works while the
// monitor starts; netwait waits for it where the Go path's network
// goroutine went on.
static void op_netns(const char *path)
{
	int fd = open(path, O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		fail("create netns file", strerror(errno));
	close(fd);
	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0 || mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
			_exit(1);
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct ifreq ifr = {0};
		strcpy(ifr.ifr_name, "lo");
		if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
			_exit(2);
		ifr.ifr_flags |= IFF_UP;
		_exit(ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? 2 : 0);
	}
	if (pid < 0)
		fail("make network namespace", strerror(errno));
	netns_child = pid;
}

static void op_netwait(void)
{
	int st;
	pid_t pid = netns_child;
	netns_child = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fail("make network namespace", strerror(errno));
	if (pid <= 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		fail("make network namespace", NULL);
}

// spawn is spawnMonitor's start: its own session, / as its directory,
// /dev/null as stdin and stdout, monitor.log as stderr, the sync pipe as
// fd 3, nothing else.
static void op_spawn(struct op *o)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		fail("start monitor", strerror(errno));
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	char *bin = fill(&o->args[0], NULL), *cfg = fill(&o->args[1], NULL), *lp = fill(&o->args[2], NULL);
	int log = open(lp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	size_t en;
	char *env = fill(&o->args[3], &en);
	char **envp = split0(env, en);
	char *argv[] = {bin, cfg, NULL};
	if (null < 0 || log < 0)
		fail("start monitor", strerror(errno));
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(log, 2) < 0 || dup3(p[1], 3, 0) < 0 || chdir("/") < 0)
			_exit(127);
		close_range(4, ~0U, 0);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(p[1]);
	close(null);
	close(log);
	free(envp);
	free(env);
	free(lp);
	if (pid < 0)
		fail("start monitor", strerror(errno));
	R.monitor = pid;
	R.sync_fd = p[0];
	char b[64], stat[1024];
	snprintf(b, sizeof b, "%d", (int)pid);
	set_hole(HoleMonPid, b);
	// Its start time: field 22 of /proc/PID/stat, after the last ')'.
	snprintf(b, sizeof b, "/proc/%d/stat", (int)pid);
	int fd = open(b, O_RDONLY | O_CLOEXEC);
	ssize_t r = fd >= 0 ? read(fd, stat, sizeof stat - 1) : -1;
	if (fd >= 0)
		close(fd);
	stat[r > 0 ? r : 0] = 0;
	char *s = strrchr(stat, ')');
	for (int f = 2; s && *s && f < 22; s++)
		if (*s == ' ')
			f++;
	if (!s)
		fail("start monitor", "no start time");
	snprintf(b, sizeof b, "%llu", strtoull(s, NULL, 10));
	set_hole(HoleMonBoot, b);
}

// sync reads the monitor's word: "ok", else its error.
static void op_sync(void)
{
	char b[4096];
	size_t n = 0;
	while (n < sizeof b - 1) {
		ssize_t r = read(R.sync_fd, b + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || b[n] == '\n')
			break;
		n++;
	}
	b[n] = 0;
	close(R.sync_fd);
	if (strncmp(b, "ok", 2))
		fail("OCI runtime create failed", n > 6 ? b + 6 : "monitor exited without a word");
}

// rmparent is removeEmptyParentCgroup: with no container left in the
// store (ids: directories of 64-byte names), the parent cgroups go.
static void op_rmparent(struct op *o)
{
	DIR *d = opendir(o->args[0].p);
	struct dirent *e;
	int any = 0;
	struct stat st;
	while (d && (e = readdir(d)))
		if (strlen(e->d_name) == 64 && (e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN &&
			fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))))
			any = 1;
	if (d)
		closedir(d);
	for (int i = 1; !any && i < o->nargs; i++)
		rmdir(o->args[i].p);
}

static void op_umount(const char *path)
{
	for (int i = 0; i < 8; i++)
		if (umount2(path, MNT_DETACH) < 0 && (errno == EINVAL || errno == ENOENT))
			break;
}

static void op_waitdeleted(struct op *o)
{
	if (attach_until(FrameDeleted, NULL) == 0)
		return;
	// The monitor died before its delete: the runtime's delete, as Go's.
	size_t an, en;
	char *a = fill(&o->args[1], &an), *e = fill(&o->args[2], &en);
	char **av = split0(a, an), **ev = split0(e, en);
	char **argv = calloc(an + 3, sizeof *argv);
	argv[0] = (char *)o->args[0].p;
	for (int i = 0; av[i]; i++)
		argv[i + 1] = av[i];
	spawn_argv(argv, ev, 1);
}

// fs_op is an op on the store's files and mounts: 0 done, 1 failed (errno
// set), -1 not one of them.
static int fs_op(const char *k, struct op *o, char **a, size_t *n)
{
	if (!strcmp(k, "mkdir"))
		return mkdir(a[0], num(&o->args[1])) < 0 && errno != EEXIST;
	if (!strcmp(k, "xattr"))
		return setxattr(a[0], a[1], a[2], n[2], 0) < 0;
	if (!strcmp(k, "rename")) {
		if (!staging && strstr(a[1], "/.new-"))
			staging = strdup(a[1]);
		return rename(a[0], a[1]) < 0;
	}
	if (!strcmp(k, "write"))
		return write_atomic(a[0], a[2], n[2], num(&o->args[1])) < 0;
	if (!strcmp(k, "create") || !strcmp(k, "append")) {
		int fd = open(a[0], O_WRONLY | O_CREAT | O_CLOEXEC | (k[0] == 'a' ? O_APPEND : 0), num(&o->args[1]));
		int err = fd < 0;
		if (fd >= 0 && k[0] == 'a')
			err = write(fd, a[2], n[2]) != (ssize_t)n[2];
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (!strcmp(k, "unlink"))
		return unlink(a[0]), 0;
	if (!strcmp(k, "unname")) {
		char t[128];
		ssize_t r = readlink(a[1], t, sizeof t - 1);
		if (r > 0 && (t[r] = 0, !strcmp(t, a[0])))
			unlink(a[1]);
		return 0;
	}
	if (!strcmp(k, "rmtree"))
		return rmtree_at(AT_FDCWD, a[0]), 0;
	if (!strcmp(k, "rmglob")) {
		glob_t g;
		if (glob(a[0], GLOB_NOSORT, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				rmtree_at(AT_FDCWD, g.gl_pathv[i]);
			globfree(&g);
		}
		return 0;
	}
	if (!strcmp(k, "rmparent"))
		return op_rmparent(o), 0;
	if (!strcmp(k, "mount"))
		return mount(a[1], a[2], a[0], num(&o->args[4]), a[3]) < 0;
	if (!strcmp(k, "umount"))
		return op_umount(a[0]), 0;
	return -1;
}

// snap_op is the snapshot's allocation under its lock.
static int snap_op(const char *k, struct op *o, char **a)
{
	if (!strcmp(k, "snaplock")) {
		R.snapfd = open(a[0], O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		return R.snapfd < 0 || flock(R.snapfd, LOCK_EX) < 0;
	}
	if (!strcmp(k, "snapalloc"))
		return op_snapalloc(o), 0;
	if (!strcmp(k, "snaplink")) {
		if (symlink(R.hole[HoleSnap], a[0]) < 0 && errno == EEXIST) {
			unlink(a[0]);
			return symlink(R.hole[HoleSnap], a[0]) < 0;
		}
		return 0;
	}
	if (!strcmp(k, "snapunlock")) {
		close(R.snapfd);
		R.snapfd = -1;
		return 0;
	}
	return -1;
}

// proc_op is an op of the monitor, the network namespace or the attach
// socket; a failure ends the run itself.
static int proc_op(const char *k, struct op *o, char **a)
{
	char *p = NULL;
	if (!strcmp(k, "words")) {
		R.words[0] = strdup(o->args[0].p);
		R.words[1] = strdup(o->args[1].p);
	} else if (!strcmp(k, "name"))
		op_name(o, R.hole[HoleID]);
	else if (!strcmp(k, "spawn"))
		op_spawn(o);
	else if (!strcmp(k, "sync"))
		op_sync();
	else if (!strcmp(k, "netns"))
		op_netns(a[0]);
	else if (!strcmp(k, "netwait"))
		op_netwait();
	else if (!strcmp(k, "sigproxy")) {
		R.sigproxy = malloc(o->args[0].n + 1);
		memcpy(R.sigproxy, o->args[0].p, o->args[0].n + 1);
		R.sigproxy_n = o->args[0].n;
		proxy_signals();
	} else if (!strcmp(k, "attach"))
		return attach_connect(a[0]) < 0 || send_frame(FrameStart) < 0;
	else if (!strcmp(k, "started")) {
		if (attach_until(FrameStarted, &p) < 0)
			fail("attach", "the monitor went away");
		if (p && *p)
			fail("OCI runtime create failed", p);
	} else if (!strcmp(k, "exit")) {
		if (attach_until(FrameExit, &p) < 0)
			fail("error waiting for container", "its monitor died");
		R.code = atoi(p);
		char *sp = strchr(p, ' ');
		if (!sp || strcmp(sp + 1, "rm+"))
			fail("attach", "an exit frame the plan did not expect");
	} else if (!strcmp(k, "waitdeleted"))
		op_waitdeleted(o);
	else if (!strcmp(k, "removed"))
		send_frame(FrameRemoved);
	return 0;
}

// step runs one op with its arguments filled (the ops that fill their
// own, when their values come, are lazy).
static void step(struct op *o)
{
	char *a[8] = {0};
	size_t n[8] = {0};
	const char *k = o->kind;
	int lazy = !strcmp(k, "spawn") || !strcmp(k, "waitdeleted") || !strcmp(k, "sigproxy") || !strcmp(k, "name") ||
		   !strcmp(k, "words");
	if (!strcmp(k, "append")) { /* an event: its own time */
		char t[64];
		int64_t ns;
		now_rfc3339(t, sizeof t, &ns);
		snprintf(t, sizeof t, "%lld", (long long)(ns / 1000000000));
		set_hole(HoleEvSec, t);
		snprintf(t, sizeof t, "%lld", (long long)ns);
		set_hole(HoleEvNano, t);
	}
	for (int i = 0; !lazy && i < o->nargs && i < 8; i++)
		if (!(a[i] = fill(&o->args[i], &n[i])))
			fail("plan: a hole without a value in", k);
	int err = fs_op(k, o, a, n);
	if (err < 0)
		err = snap_op(k, o, a);
	if (err < 0)
		err = proc_op(k, o, a);
	if (err)
		fail(k, a[0] ? a[0] : strerror(errno));
	for (int i = 0; i < 8; i++)
		free(a[i]);
	if (strcmp(k, "words") && strcmp(k, "sigproxy"))
		R.side_effects = 1;
	forward_pending();
	if (tracing) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		trace("c-run op %s %ld us", k, (ts.tv_sec - t0.tv_sec) * 1000000 + (ts.tv_nsec - t0.tv_nsec) / 1000);
	}
}

int replay(struct plan *p)
{
	// Go's `rm -f -v ID` of this store, for a failure after writes: the
	// argv of the kill that sig-proxy runs, with rm in place of kill.
	for (int i = 0; i < p->nops; i++) {
		struct op *o = &p->ops[i];
		if (!strcmp(o->kind, "sigproxy") && !rm_argv) {
			size_t n;
			struct arg a = o->args[0];
			set_hole(HoleSig, "9");
			char *s = fill(&a, &n);
			char **v = split0(s, n);
			int c = 0;
			while (v[c])
				c++;
			if (c == 9 && !strcmp(v[5], "kill")) {
				char **r = calloc(10, sizeof *r);
				memcpy(r, v, 5 * sizeof *r);
				r[5] = "rm", r[6] = "-f", r[7] = "-v", r[8] = v[8];
				rm_argv = r;
			}
			free(R.hole[HoleSig]);
			R.hole[HoleSig] = NULL;
		}
	}
	if (!rm_argv) {
		trace("c-run miss: no sig-proxy op");
		return -1;
	}
	// What the caller left open is not passed on (main.go's CloseRange).
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	tracing = getenv("JINN_CLI_PLAN_TRACE") != NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (setjmp(back))
		return -1; /* into Go: nothing was written, or it was undone */
	for (int i = 0; i < p->nops; i++)
		step(&p->ops[i]);
	return R.code;
}
