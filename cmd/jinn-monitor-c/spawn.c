/* Running the OCI runtime and the engine's commands. Every command has a
 * deadline, so a hung runtime cannot hold the monitor; the poll loop keeps
 * serving attach clients and the container's output meanwhile. */
#include "cmon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int exit_code_of(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* spawn starts argv with fd0-fd2 as its stdio and returns its pid, or -1
 * with *err the errno of the fork or exec. The child gets the default
 * signal mask and dispositions back (the monitor blocks SIGCHLD for its
 * signalfd and ignores SIGPIPE: both would be inherited across exec by the
 * runtime and so by the container).
 *
 * SPAWN_WITH_US: the child is killed if the monitor dies first. For the
 * runtime's `run`: a monitor killed while it runs says nothing to the
 * engine, which then removes whatever the runtime made; a runtime going
 * on meanwhile would start the container after that look, and leave it
 * running unwatched. (A delete is better left to finish.) */
pid_t spawn(char **argv, int fd0, int fd1, int fd2, int flags, int *err)
{
	int ep[2], e = 0;
	pid_t self = getpid();
	if (pipe2(ep, O_CLOEXEC) < 0) {
		*err = errno;
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		if ((flags & SPAWN_WITH_US) && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != self))
			_exit(127);
		if (flags & SPAWN_PGID)
			setpgid(0, 0); /* a timed-out check is killed with all it started */
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		int fds[3] = {fd0, fd1, fd2};
		/* Out of the way first, so that a dup2 never overwrites a
		 * source still to be used. */
		for (int i = 0; i < 3; i++)
			fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
		for (int i = 0; i < 3; i++)
			if (fds[i] < 0 || dup2(fds[i], i) < 0)
				goto fail;
		execv(argv[0], argv);
	fail:
		e = errno;
		if (write(ep[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	int fe = errno;
	close(ep[1]);
	if (pid < 0) {
		close(ep[0]);
		*err = fe;
		return -1;
	}
	ssize_t n;
	while ((n = read(ep[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(ep[0]);
	if (n == sizeof e) {
		*err = e; /* the child has exited; the reaper collects it */
		return -1;
	}
	return pid;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* runtime_error is the Go monitor's runtimeError: what the runtime printed,
 * trimmed, or its exit status. */
char *runtime_error(const char *rt, const char *cmd, const char *out, size_t n, int status)
{
	while (n > 0 && strchr(" \t\r\n", out[0]))
		out++, n--;
	while (n > 0 && strchr(" \t\r\n", out[n - 1]))
		n--;
	if (n == 0)
		return xasprintf("%s %s failed: exit status %d", base(rt), cmd, exit_code_of(status));
	return xasprintf("%s %s failed: %.*s", base(rt), cmd, (int)n, out);
}

/* run_cmd runs argv[0] with stdin on /dev/null and its output collected,
 * waits for it at most timeout_ms, then kills it. 0 when it exited 0;
 * otherwise -1 with the status in *status (or -1: not started, timed out)
 * and its output in m->extra. */
static int run_collect(struct mon *m, char **argv, int timeout_ms, int *status, int *err)
{
	int p[2];
	*status = -1;
	*err = 0;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		*err = errno;
		return -1;
	}
	pid_t pid = spawn(argv, m->devnull, p[1], p[1], 0, err);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	m->extra_fd = p[0];
	m->extra.n = 0;
	if (wait_pid(m, pid, timeout_ms, status) < 0) {
		kill(pid, SIGKILL);
		wait_pid(m, pid, -1, status);
		*status = -1;
		*err = ETIMEDOUT;
	}
	/* Output still in the pipe (a child of the runtime may hold it open:
	 * take what is there, do not wait for EOF). */
	for (;;) {
		buf_reserve(&m->extra, 1024);
		ssize_t k = read(p[0], m->extra.p + m->extra.n, 1024);
		if (k <= 0)
			break;
		m->extra.n += k;
	}
	close(p[0]);
	m->extra_fd = -1;
	return *status == 0 ? 0 : -1;
}

int run_cmd(struct mon *m, struct strv *argv, int timeout_ms, char **errmsg)
{
	int status, err;
	int r = run_collect(m, argv->v, timeout_ms, &status, &err);
	buf_free(&m->extra);
	if (r < 0 && errmsg)
		*errmsg = xasprintf("%s: %s", base(argv->v[0]), err ? strerror(err) : "failed");
	return r;
}

/* runtime_argv is the OCI runtime with its global args and then args. */
static struct strv runtime_argv(struct config *c, const char *const *args)
{
	struct strv argv = {0};
	strv_add(&argv, c->runtime);
	for (int i = 0; i < c->runtime_args.n; i++)
		strv_add(&argv, c->runtime_args.v[i]);
	for (int i = 0; args[i]; i++)
		strv_add(&argv, (char *)args[i]);
	return argv;
}

/* run_runtime runs the OCI runtime with its global args and then args. */
int run_runtime(struct mon *m, const char *const *args, int timeout_ms, char **errmsg)
{
	struct config *c = m->cfg;
	int status, err;
	struct strv argv = runtime_argv(c, args);
	int r = run_collect(m, argv.v, timeout_ms, &status, &err);
	if (r < 0 && errmsg) {
		if (err == ETIMEDOUT)
			*errmsg = xasprintf("%s %s: timed out", base(c->runtime), args[0]);
		else if (err)
			*errmsg = xasprintf("%s %s: %s", base(c->runtime), args[0], strerror(err));
		else
			*errmsg = runtime_error(c->runtime, args[0], m->extra.p, m->extra.n, status);
	}
	buf_free(&m->extra);
	free(argv.v);
	return r;
}

/* delete_force deletes the container from the runtime, trying again if
 * the runtime fails (it may be killed): what it leaves would run on while
 * the state says exited. */
int delete_force(struct mon *m)
{
	const char *args[] = {"delete", "--force", m->cfg->id, NULL};
	for (int i = 0;; i++) {
		if (run_runtime(m, args, 30000, NULL) == 0)
			return 1;
		if (i == 4)
			return 0;
		sleep_ms(m, (i + 1) * 50);
	}
}

/* delete_begin starts the runtime's `delete --force` without waiting for
 * it, and delete_end waits for it (as delete_force, trying again if it
 * failed). A --rm container's monitor begins the delete as soon as the
 * exit is known: the runtime's process start (a Go binary's) then overlaps
 * the monitor's last records and the attached CLI's removals. Its output
 * is not wanted (delete_force drops it too). Returns -1 if it could not
 * start; delete_end then deletes as delete_force does. */
pid_t delete_begin(struct mon *m)
{
	const char *args[] = {"delete", "--force", m->cfg->id, NULL};
	struct strv argv = runtime_argv(m->cfg, args);
	int err;
	pid_t pid = spawn(argv.v, m->devnull, m->devnull, m->devnull, 0, &err);
	free(argv.v);
	return pid;
}

int delete_end(struct mon *m, pid_t pid)
{
	int status;
	if (pid > 0) {
		if (wait_pid(m, pid, 30000, &status) < 0) {
			kill(pid, SIGKILL);
			wait_pid(m, pid, -1, &status);
			status = -1;
		}
		if (status == 0)
			return 1;
	}
	return delete_force(m);
}

/* short_path is monitor.ShortPath: dir/name under the 108-byte limit of
 * socket addresses, through an O_PATH fd of dir; the fd is returned and
 * must stay open while the path is used. */
int short_path(const char *dir, const char *name, char *out, size_t outlen)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(out, outlen, "/proc/%d/fd/%d/%s", (int)getpid(), fd, name);
	return fd;
}
