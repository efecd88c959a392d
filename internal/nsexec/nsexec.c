// The pre-Go stage of jinn-runtime: an ELF constructor that runs before the
// Go runtime starts its threads, because setns(2) into a user, mount or time
// namespace needs a single-threaded caller. It does nothing unless the
// environment names a socket in _JINN_NSEXEC; then it follows the protocol
// documented in nsexec.go, and returns into Go (or _exits, as the
// intermediate process of a fork). Before that, and on its own, it moves
// the process into its v1 cgroups when _JINN_CGROUP names tasks files.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define MAXNS 16

#include "cinit.h" // CINIT_ENV

void cinit(void);

static int syncfd = -1;

// fail reports one error line to the parent, in the JSON shape the Go side
// reads, and exits. Messages hold no quotes or backslashes.
static void fail(const char *what, const char *arg)
{
	dprintf(syncfd, "{\"type\":\"error\",\"msg\":\"nsexec: %s %s: %s\"}\n", what, arg, strerror(errno));
	_exit(1);
}

// readfull is shared with the C init (cinit.c).
int ci_readfull(int fd, void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, (char *)buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += r;
	}
	return 0;
}

static int nstype(const char *name)
{
	static const struct { const char *n; int f; } t[] = {
		{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
		{"network", CLONE_NEWNET}, {"pid", CLONE_NEWPID}, {"mount", CLONE_NEWNS},
		{"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].n, name) == 0)
			return t[i].f;
	return 0;
}

// join_cgroup moves the process into its cgroup on each v1 hierarchy: the
// parent opened the tasks files (so the permission check was the parent's)
// and names their fds in _JINN_CGROUP. Writing "0" to tasks moves only the
// writing thread, which skips the kernel's global threadgroup lock and its
// RCU grace period (5-15 ms) that a write to cgroup.procs waits for; this
// process has only one thread yet, so it moves whole, and every thread and
// child it makes later starts in the cgroup.
static void join_cgroup(void)
{
	const char *env = getenv("_JINN_CGROUP");
	if (env == NULL)
		return;
	const char *init = getenv("_JINN_INIT");
	if (init != NULL)
		syncfd = atoi(init);
	for (const char *p = env; *p;) {
		char *end;
		long fd = strtol(p, &end, 10);
		if (end == p || (*end != ',' && *end != 0)) {
			errno = EINVAL;
			fail("join cgroup", "fd list");
		}
		ssize_t n;
		do
			n = write(fd, "0", 1);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			fail("join cgroup", "tasks");
		close(fd);
		p = *end ? end + 1 : end;
	}
	unsetenv("_JINN_CGROUP");
}

// nsexec follows the header protocol (nsexec.go); it returns in the
// process that goes on (after the fork, the child).
static void nsexec(const char *env)
{
	syncfd = atoi(env);
	unsetenv("_JINN_NSEXEC");

	uint32_t len;
	if (ci_readfull(syncfd, &len, sizeof(len)) < 0 || len > 65536)
		fail("read header", "length");
	char *buf = calloc(1, len + 1);
	if (buf == NULL || ci_readfull(syncfd, buf, len) < 0)
		fail("read header", "body");

	// Open every namespace first: once in the container's mount namespace,
	// the host's /proc paths are gone.
	int fds[MAXNS], types[MAXNS], n = 0, dofork = 0, newns = 0;
	char offsets[1024] = "";
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (strcmp(line, "fork") == 0) {
			dofork = 1;
		} else if (sp && strncmp(line, "unshare ", 8) == 0) {
			int t = nstype(sp + 1);
			if (t == 0 || t == CLONE_NEWUSER) {
				errno = EINVAL;
				fail("namespace type", sp + 1);
			}
			newns |= t;
		} else if (sp && strncmp(line, "offset ", 7) == 0) {
			strncat(offsets, sp + 1, sizeof(offsets) - strlen(offsets) - 2);
			strcat(offsets, "\n");
		} else if (sp && n < MAXNS) {
			*sp = 0;
			if ((types[n] = nstype(line)) == 0) {
				errno = EINVAL;
				fail("namespace type", line);
			}
			if ((fds[n] = open(sp + 1, O_RDONLY | O_CLOEXEC)) < 0)
				fail("open namespace", sp + 1);
			n++;
		}
	}
	// The user namespace first: it owns the others and gives the rights to
	// join them.
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			if ((pass == 0) != (types[i] == CLONE_NEWUSER))
				continue;
			if (setns(fds[i], types[i]) < 0)
				fail("setns", pass == 0 ? "user" : "namespace");
			close(fds[i]);
		}
	// Entering a user namespace the caller does not own sets dumpability
	// to fs.suid_dumpable (commit_creds): off again.
	if (n > 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("set", "non-dumpable");
	// New namespaces after the joined user namespace: they are owned by
	// it, so the container's root there may use them (sethostname, mount).
	if (newns && unshare(newns) < 0)
		fail("unshare", "namespaces");
	if (offsets[0]) {
		// A new time namespace takes its offsets before any process is in
		// it; execve of the user program moves the process in.
		if (unshare(CLONE_NEWTIME) < 0)
			fail("unshare", "time");
		// Non-dumpable, the file is owned by the root of the user
		// namespace this binary was exec'd in: after a setns by a
		// rootless runtime, not us. Dumpable for the open only (runc's
		// window for its maps): no joined pid namespace holds this
		// process yet (it forks into one below), and it still has every
		// capability of its user namespace.
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		int e = errno;
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			fail("set", "non-dumpable");
		errno = e;
		if (fd < 0 || write(fd, offsets, strlen(offsets)) < 0)
			fail("write", "timens_offsets");
		close(fd);
	}
	free(buf);
	if (!dofork)
		return;
	// setns(CLONE_NEWPID) only moves children: fork once. CLONE_PARENT
	// makes the child a sibling, so the runtime that started us can wait
	// for it directly.
	pid_t pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		fail("clone", "child");
	if (pid > 0) {
		dprintf(syncfd, "{\"type\":\"pid\",\"pid\":%d}\n", pid);
		_exit(0);
	}
}

// nondumpable makes an init (Go or C; of create, run or exec) non-dumpable
// before it does anything else; the execve of the user program gives the
// new image its own dumpability (CVE-2016-9962). An exec's init joins a
// running container: once it has the user's ids and the container's
// capabilities, a process in the container with the same would pass
// ptrace's checks and could attach to it or open its /proc/PID/{environ,
// fd/*,mem}, reaching the host fds it still holds (the sync socket to the
// runtime, the console socket) or running code in it. Non-dumpable, only
// CAP_SYS_PTRACE in the user namespace the init was exec'd in passes.
//
// runc makes its init dumpable again while the parent writes its uid_map,
// gid_map and setgroups; jinn's never need that: a user namespace the init
// is cloned into has its maps written between clone and the execve of this
// binary (Go's forkAndExecInChild), before this constructor; one it joins
// has them already. Its own /proc/self files stay open to the init: ptrace's
// checks always let a process at itself (fd, exe, environ), and the files
// checked by owner are opened while the init still has the ids that
// non-dumpable makes their owner, the root of the user namespace it was
// exec'd in (cloned: the container's; otherwise the host's, whose ids a
// root runtime's setns keeps): oom_score_adj, written only by a root
// runtime; timens_offsets, opened dumpable for a rootless runtime's setns
// (nsexec). New ids, or a user namespace the caller does not own, reset
// dumpability to fs.suid_dumpable (commit_creds), which a host may set to
// 1: the inits turn it off again after each (nsexec, cinit_exec.c's
// finish, runtime.setUser).
//
// Other jinn-runtime processes (the CLI, idmap.go's userns helper) are
// left as they are.
static void nondumpable(void)
{
	if (getenv("_JINN_INIT") == NULL && getenv(CINIT_ENV) == NULL && getenv("_JINN_NSEXEC") == NULL)
		return;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		const char *s = getenv("_JINN_INIT");
		if (s == NULL)
			s = getenv(CINIT_ENV);
		syncfd = s ? atoi(s) : -1;
		fail("set", "non-dumpable");
	}
}

__attribute__((constructor)) static void jinn_nsexec(void)
{
	nondumpable(); // first: see above
	join_cgroup();
	const char *env = getenv("_JINN_NSEXEC");
	if (env != NULL)
		nsexec(env);
	cinit(); // returns unless the parent chose the C init (cinit.c)
}
