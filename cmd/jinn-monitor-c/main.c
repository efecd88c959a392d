/* The monitor's life, step for step as internal/monitor.Run: usage is
 * jinn-monitor-c CONFIG, with the sync pipe to the engine on fd 3. */
#include "cmon.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct mon M;

static void sync_say(struct mon *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sync_say(struct mon *m, const char *fmt, ...)
{
	va_list ap;
	if (m->sync_fd < 0)
		return;
	va_start(ap, fmt);
	vdprintf(m->sync_fd, fmt, ap);
	va_end(ap);
	close(m->sync_fd);
	m->sync_fd = -1;
}

/* one_line is the Go monitor's oneLine. */
static char *one_line(const char *s)
{
	while (*s && strchr(" \t\r\n", *s))
		s++;
	char *o = xstrdup(s);
	size_t n = strlen(o);
	while (n > 0 && strchr(" \t\r\n", o[n - 1]))
		o[--n] = 0;
	for (char *p = o; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return o;
}

/* The state changes the monitor makes, each under the container's lock. */
enum { SET_STATUS = 1, SET_ERROR = 2, SET_FINISHED = 4, SET_EXIT = 8, SET_MONPID = 16, SET_PID = 32,
       SET_STARTED = 64, SET_RESTARTS = 128, SET_OOM = 256, SET_DELETED = 512 };
struct change {
	int what;
	const char *status, *error;
	int64_t finished, exit_code, monitor_pid, monitor_start, pid, started, restarts;
	int oom, deleted;
};

static int update(struct mon *m, struct change *c, struct state *out)
{
	struct state s;
	int lk;
	if (state_begin(m->cfg->state_dir, &s, &lk) < 0)
		return -1;
	if (c->what & SET_STATUS) free(s.status), s.status = xstrdup(c->status);
	if (c->what & SET_ERROR) free(s.error), s.error = xstrdup(c->error);
	if (c->what & SET_FINISHED) s.finished_at = c->finished;
	if (c->what & SET_EXIT) s.exit_code = c->exit_code;
	if (c->what & SET_MONPID) s.monitor_pid = c->monitor_pid, s.monitor_start = c->monitor_start;
	if (c->what & SET_PID) s.pid = c->pid;
	if (c->what & SET_STARTED) s.started_at = c->started;
	if (c->what & SET_RESTARTS) s.restart_count = c->restarts;
	if (c->what & SET_OOM) s.oom_killed = c->oom;
	if (c->what & SET_DELETED) s.deleted = c->deleted;
	if (out) {
		out->started_at = s.started_at;
		out->exit_code = s.exit_code;
	}
	return state_commit(m->cfg->state_dir, &s, lk);
}

static void monitor_gone(struct mon *m)
{
	struct change c = {.what = SET_MONPID};
	update(m, &c, NULL);
}

static int fail(struct mon *m, const char *err)
{
	char *l = one_line(err);
	sync_say(m, "error %s\n", l);
	free(l);
	/* Gone before it is recorded as exited: a runtime killed after it
	 * started the container leaves it running. */
	delete_force(m);
	struct change c = {.what = SET_STATUS | SET_ERROR | SET_MONPID | SET_FINISHED | SET_EXIT,
			   .status = "exited", .error = err, .finished = now_ns(), .exit_code = 125};
	update(m, &c, NULL);
	return 1;
}

/* parent_gone arms m->cli_gone for when the process that started the
 * monitor (the engine's CLI) exits; see internal/monitor/parent.go. */
static void watch_parent(struct mon *m)
{
	pid_t ppid = getppid();
	const char *want = getenv("JINN_MONITOR_PARENT");
	m->parent_fd = -1;
	if (want && *want && atoi(want) != ppid) {
		m->cli_gone = 1;
	} else {
		int fd = syscall(SYS_pidfd_open, ppid, 0);
		int e = errno;
		if (fd >= 0 && getppid() != ppid) {
			close(fd);
			fd = -1, e = ESRCH;
		}
		if ((fd < 0 && e == ESRCH) || ppid == 1)
			m->cli_gone = 1;
		if (fd >= 0 && !m->cli_gone)
			m->parent_fd = fd;
		else if (fd >= 0)
			close(fd);
	}
	unsetenv("JINN_MONITOR_PARENT");
	/* GOMAXPROCS=1 (the engine's) stays for the runtime commands the
	 * monitor runs, its only children: a Go runtime starts with one P,
	 * as recipe.Runtime's commands do. */
}

static int64_t oom_count(struct config *c)
{
	int64_t n = 0;
	for (int i = 0; i < c->oom_files.n; i++) {
		FILE *f = fopen(c->oom_files.v[i], "re");
		char line[256];
		if (!f)
			continue;
		while (fgets(line, sizeof line, f))
			if (!strncmp(line, "oom_kill ", 9))
				n += strtoll(line + 9, NULL, 10);
		fclose(f);
	}
	return n;
}

static int stop_marker(struct config *c)
{
	struct stat st;
	char *p = xasprintf("%s/stopped-by-user", c->state_dir);
	int r = stat(p, &st) == 0;
	free(p);
	return r;
}

static int should_restart(struct mon *m, int code, int restarts)
{
	struct config *c = m->cfg, nc;
	char *err = NULL;
	if (stop_marker(c))
		return 0;
	/* `jinn update --restart` rewrites the policy while it runs. */
	char *p = xasprintf("%s/monitor.conf", c->state_dir);
	if (config_read(p, &nc, &err) == 0 && !strcmp(nc.id, c->id)) {
		c->restart = nc.restart;
		c->restart_max = nc.restart_max;
	}
	free(p);
	free(err);
	if (!strcmp(c->restart, "always") || !strcmp(c->restart, "unless-stopped"))
		return 1;
	if (!strcmp(c->restart, "on-failure"))
		return code != 0 && (c->restart_max <= 0 || restarts < c->restart_max);
	return 0;
}

/* announce tells attached clients of a --rm container's exit before the
 * runtime's delete ("CODE rm+"; see hub.announce). */
static void announce(struct mon *m, int code)
{
	char t[32];
	int n = snprintf(t, sizeof t, "%d rm+", code);
	m->exited = 1, m->exit_code = code, m->announced = 1;
	broadcast(m, FrameExit, t, n);
}

/* finish is hub.finish: the exit code to every client ("CODE rm" with
 * delegate: an attached client removes the container), then it waits for
 * one to say it did, and closes them. */
static int finish(struct mon *m, int code, int delegate)
{
	char t[32];
	int n = snprintf(t, sizeof t, "%d%s", code, delegate ? " rm" : "");
	if (m->announced)
		broadcast(m, FrameDeleted, "", 0);
	else
		broadcast(m, FrameExit, t, n);
	m->exited = 1, m->exit_code = code;
	if (delegate && m->nclients > 0) {
		int64_t end = mono_ms() + 60000;
		while (!m->removed && m->nclients > 0 && mono_ms() < end)
			pump(m, 1000);
	}
	close_clients(m);
	return m->removed;
}

/* finish_rm ends a --rm container's monitor once the runtime's delete is
 * done (announce went first): FrameDeleted to the attached CLI, which then
 * removes the state directory; only if none did, the state records the
 * delete and the engine's removal runs. (Recorded before FrameDeleted, it
 * would be a write the CLI waits for and then removes.) */
static void finish_rm(struct mon *m, int code, int deleted)
{
	struct config *c = m->cfg;
	if (c->on_exit.n > 0)
		run_cmd(m, &c->on_exit, 60000, NULL);
	if (finish(m, code, 1))
		return;
	struct change dc = {.what = SET_MONPID | SET_DELETED, .deleted = deleted};
	update(m, &dc, NULL);
	run_cmd(m, &c->cleanup, 60000, NULL);
}

static int run(struct mon *m)
{
	struct config *c = m->cfg;
	char *err = NULL;
	int first_stdin = -1, restarts = 0, backoff = 100, starting = 0;
	if ((m->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return fail(m, strerror(errno));
	if (jlog_open(&m->log, c->log_path, c->log_max_size, c->log_max_files) < 0) {
		err = xasprintf("open log %s: %s", c->log_path, strerror(errno));
		return fail(m, err);
	}
	if (listen_attach(m, c->state_dir) < 0) {
		err = xasprintf("listen on attach socket: %s", strerror(errno));
		return fail(m, err);
	}
	if (c->stdin_ && !c->tty) {
		/* Made before the start request, so that input sent right
		 * after it waits in the pipe. */
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return fail(m, strerror(errno));
		first_stdin = p[0];
		fcntl(p[1], F_SETFL, O_NONBLOCK);
		set_stdin(m, p[1], 0);
	}
	if (!c->start) {
		sync_say(m, "ok 0\n");
		int64_t end = mono_ms() + 60000;
		while (!m->start_req && !m->cli_gone && mono_ms() < end)
			pump(m, 1000);
		if (!m->start_req) {
			/* The CLI was killed before it asked, or never attached:
			 * nothing was made. */
			monitor_gone(m);
			return 1;
		}
		starting = 1;
	}
	for (;;) {
		int64_t oom_base = oom_count(c);
		pid_t pid = create(m, &first_stdin, &err);
		if (!pid) {
			if (m->sync_fd >= 0)
				return fail(m, err);
			if (starting) {
				/* The attached CLI reports the error (and removes the
				 * container for --rm); there is nothing to run. */
				delete_force(m);
				if (m->starter)
					reply(m, m->starter, FrameStarted, err, strlen(err));
				struct change ch = {.what = SET_STATUS | SET_ERROR | SET_FINISHED | SET_EXIT,
						    .status = "exited", .error = err, .finished = now_ns(), .exit_code = 125};
				update(m, &ch, NULL);
				monitor_gone(m);
				finish(m, 125, 0);
				return 1;
			}
			/* A restart that fails to create ends the container. */
			delete_force(m);
			struct change ch = {.what = SET_STATUS | SET_ERROR, .status = "exited", .error = err};
			update(m, &ch, NULL);
			break;
		}
		struct change ch = {.what = SET_PID | SET_MONPID | SET_ERROR | SET_STATUS | SET_STARTED | SET_RESTARTS,
				    .pid = pid, .monitor_pid = getpid(), .monitor_start = proc_start(getpid()), .error = "",
				    .status = "running", .started = now_ns(), .restarts = restarts};
		update(m, &ch, NULL);
		/* Recorded here (also a restart's), so always before its die. */
		event(c, "start", NULL, NULL);
		if (starting) {
			if (m->starter)
				reply(m, m->starter, FrameStarted, "", 0);
			m->starter = NULL;
			starting = 0;
		}
		sync_say(m, "ok %d\n", (int)pid);
		/* What start-up freed goes back to the kernel: the heap is
		 * otherwise kept until it is 128 KiB above its top chunk. */
		malloc_trim(0);
		health_start(m);
		int ws;
		while (wait_pid(m, pid, 0, &ws) < 0) {
			health_tick(m);
			pump(m, health_wait_ms(m));
		}
		health_stop(m);
		int64_t finished = now_ns();
		/* Its output, for at most 2 s (a process it left may hold a pipe). */
		int64_t end = mono_ms() + 2000;
		while (streams_open(m) && mono_ms() < end)
			pump(m, (int)(end - mono_ms()));
		int code = exit_code_of(ws), oom = oom_count(c) > oom_base;
		char cs[16];
		snprintf(cs, sizeof cs, "%d", code);
		if (oom)
			event(c, "oom", NULL, NULL);
		event(c, "die", "exitCode", cs);
		struct change ex = {.what = SET_STATUS | SET_EXIT | SET_OOM | SET_FINISHED | SET_PID, .status = "exited",
				    .exit_code = code, .oom = oom, .finished = finished};
		if (c->cleanup.n > 0) {
			/* --rm (never restarted: the engine refuses a restart
			 * policy with it). The attached CLI's removals are the
			 * long pole of the run's end, so they begin first: the
			 * exit goes out as soon as the die event is written
			 * (always before the CLI's destroy), then the runtime's
			 * delete starts (the cgroup's OOM count was read: it
			 * removes the cgroup), and the state's record is written
			 * while it runs. The CLI removes the state directory
			 * only after FrameDeleted, so after this record. */
			announce(m, code);
			pid_t del = delete_begin(m);
			update(m, &ex, NULL);
			finish_rm(m, code, delete_end(m, del));
			return 0;
		}
		struct state st = {0};
		update(m, &ex, &st);
		if (!should_restart(m, code, restarts))
			break;
		delete_force(m);
		restarts++;
		struct change rs = {.what = SET_STATUS | SET_RESTARTS, .status = "restarting", .restarts = restarts};
		update(m, &rs, NULL);
		if (now_ns() - st.started_at > 10000000000LL)
			backoff = 100;
		sleep_ms(m, backoff);
		if (backoff < 5000)
			backoff *= 2;
		if (stop_marker(c)) {
			struct change sx = {.what = SET_STATUS, .status = "exited"};
			update(m, &sx, NULL);
			break;
		}
	}
	struct state st;
	int lk, code = 0;
	if (state_begin(c->state_dir, &st, &lk) == 0) {
		code = st.exit_code;
		state_free(&st);
		close(lk);
	}
	if (c->cleanup.n > 0) { /* --rm: the attached CLI removes the rest meanwhile */
		announce(m, code);
		finish_rm(m, code, delete_force(m));
		return 0;
	}
	int deleted = delete_force(m);
	struct change dc = {.what = SET_MONPID | SET_DELETED, .deleted = deleted};
	update(m, &dc, NULL);
	if (c->on_exit.n > 0)
		run_cmd(m, &c->on_exit, 60000, NULL);
	finish(m, code, 0);
	return 0;
}

/* codec_check is for test/engine_cmon_test.go: "state DIR" reads the
 * state and writes it back (as every update does), "config FILE" prints
 * what was read, a value a line, so that the tests hold this codec to the
 * Go one's. */
static int codec_check(char **argv)
{
	if (!strcmp(argv[1], "state")) {
		struct state s;
		int lk;
		if (state_begin(argv[2], &s, &lk) < 0)
			return 1;
		return state_commit(argv[2], &s, lk) < 0;
	}
	struct config c;
	char *err = NULL;
	if (config_read(argv[2], &c, &err) < 0)
		return 1;
	printf("%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n", c.id, c.name, c.image, c.events, c.runtime, c.bundle,
	       c.state_dir, c.log_path, c.restart);
	printf("%lld %d %d %d %d %d %d\n", (long long)c.log_max_size, c.log_max_files, c.tty, c.stdin_, c.start,
	       c.restart_max, c.health_test.n);
	struct strv *l[] = {&c.runtime_args, &c.oom_files, &c.cleanup, &c.on_exit, &c.event_attrs};
	for (size_t i = 0; i < sizeof l / sizeof *l; i++)
		for (int k = 0; k < l[i]->n; k++)
			printf("%zu %s\n", i, l[i]->v[k]);
	return 0;
}

int main(int argc, char **argv)
{
	struct mon *m = &M;
	static struct config cfg;
	char *err = NULL;
	if (argc == 4 && !strcmp(argv[1], "--codec-check"))
		return codec_check(argv + 1);
	if (argc != 2) {
		fputs("usage: jinn-monitor-c CONFIG\n", stderr);
		return 2;
	}
	if (config_read(argv[1], &cfg, &err) < 0) {
		fprintf(stderr, "jinn-monitor-c: %s\n", err);
		return 1;
	}
	m->cfg = &cfg;
	m->sync_fd = fcntl(3, F_SETFD, FD_CLOEXEC) == 0 ? 3 : -1;
	m->lfd = m->extra_fd = m->stdin_fd = m->h.fd = -1;
	m->streams[0].fd = m->streams[1].fd = -1;
	/* The container's init is reparented to us when the runtime exits. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Best effort: lowering needs CAP_SYS_RESOURCE. */
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "-999", 4) < 0) {
			/* not allowed: the default stays */
		}
		close(fd);
	}
	watch_parent(m); /* before anything: the CLI may die at any moment */
	signal(SIGPIPE, SIG_IGN);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	m->sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->sigfd < 0)
		return fail(m, "signalfd: failed");
	return run(m);
}
