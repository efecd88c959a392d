/* The health check, as internal/monitor/health.go runs it: `runtime exec
 * --process BUNDLE/health.json ID` in a process group of its own, every
 * interval (start interval during the start period) after the last one
 * ended, killed with its group at the timeout; the result goes into the
 * state's health log (the last 5), streak and status. It runs beside the
 * wait for the container: main.c calls health_tick after each pump. */
#include "cmon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t wait_ms(struct mon *m)
{
	struct config *c = m->cfg;
	if (c->h_start_interval > 0 && (mono_ms() - m->h.began) * 1000000 < c->h_start_period)
		return c->h_start_interval / 1000000;
	return c->h_interval / 1000000;
}

/* set_health rewrites the state's health lines: a new result appended
 * (code >= -1) or, with reset, a fresh "starting" health. */
static void set_health(struct mon *m, int reset, int64_t start, int64_t end, int code, const char *out)
{
	struct config *c = m->cfg;
	struct state s;
	int lk;
	if (state_begin(c->state_dir, &s, &lk) < 0)
		return;
	char *status = xstrdup("starting");
	int64_t streak = 0;
	struct strv logs = {0};
	for (int i = 0; i < s.health.n && !reset; i++) {
		char *l = s.health.v[i], *v = strchr(l, ' ');
		if (!v)
			continue;
		v++;
		if (!strncmp(l, "health_status ", 14))
			free(status), status = unq(v);
		else if (!strncmp(l, "health_failing_streak ", 22))
			streak = strtoll(v, NULL, 10);
		else if (!strncmp(l, "health_log ", 11))
			strv_add(&logs, xstrdup(v));
	}
	if (!reset) {
		struct buf q = {0};
		char *entry = xasprintf("%lld %lld %d %s", (long long)start, (long long)end, code, out);
		quote(&q, entry);
		buf_add(&q, "", 1);
		free(entry);
		strv_add(&logs, q.p);
		if (code == 0) {
			free(status), status = xstrdup("healthy");
			streak = 0;
		} else if ((mono_ms() - m->h.began) * 1000000 >= c->h_start_period) {
			if (++streak >= c->h_retries)
				free(status), status = xstrdup("unhealthy");
		}
	}
	for (int i = 0; i < s.health.n; i++)
		free(s.health.v[i]);
	s.health.n = 0;
	struct buf b = {0};
	quote(&b, status);
	buf_add(&b, "", 1);
	strv_add(&s.health, xasprintf("health_status %s", b.p));
	strv_add(&s.health, xasprintf("health_failing_streak %lld", (long long)streak));
	for (int i = logs.n > 5 ? logs.n - 5 : 0; i < logs.n; i++)
		strv_add(&s.health, xasprintf("health_log %s", logs.v[i]));
	for (int i = 0; i < logs.n; i++)
		free(logs.v[i]);
	free(logs.v);
	buf_free(&b);
	free(status);
	state_commit(c->state_dir, &s, lk);
}

void health_start(struct mon *m)
{
	m->h.on = m->cfg->health_test.n > 0;
	m->h.pid = 0;
	m->h.fd = -1;
	if (!m->h.on)
		return;
	set_health(m, 1, 0, 0, 0, NULL);
	m->h.began = mono_ms();
	m->h.next = m->h.began + wait_ms(m);
}

static void run_check(struct mon *m)
{
	struct config *c = m->cfg;
	struct strv argv = {0};
	int p[2], e = 0;
	strv_add(&argv, c->runtime);
	for (int i = 0; i < c->runtime_args.n; i++)
		strv_add(&argv, c->runtime_args.v[i]);
	char *spec = xasprintf("%s/health.json", c->bundle);
	strv_add(&argv, "exec");
	strv_add(&argv, "--process");
	strv_add(&argv, spec);
	strv_add(&argv, c->id);
	m->h.start_ns = now_ns();
	pid_t pid = -1;
	if (pipe2(p, O_CLOEXEC) == 0) {
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		pid = spawn(argv.v, m->devnull, p[1], p[1], SPAWN_PGID, &e);
		close(p[1]);
		if (pid < 0)
			close(p[0]);
	} else
		e = errno;
	free(spec);
	free(argv.v);
	if (pid < 0) {
		set_health(m, 0, m->h.start_ns, now_ns(), -1, strerror(e));
		m->h.next = mono_ms() + wait_ms(m);
		return;
	}
	m->h.pid = pid, m->h.fd = p[0], m->h.timed_out = 0;
	m->h.out.n = 0;
	m->h.deadline = mono_ms() + m->cfg->h_timeout / 1000000;
}

static void check_done(struct mon *m, int status)
{
	int64_t end = now_ns();
	if (m->h.timed_out) {
		set_health(m, 0, m->h.start_ns, end, -1, "Health check exceeded timeout");
	} else {
		for (char t[512]; m->h.fd >= 0;) { /* what is left in the pipe */
			ssize_t k = read(m->h.fd, t, sizeof t);
			if (k <= 0)
				break;
			if (m->h.out.n < 4096)
				buf_add(&m->h.out, t, k);
		}
		size_t n = m->h.out.n > 4096 ? 4096 : m->h.out.n;
		while (n > 0 && m->h.out.p[n - 1] == '\n')
			n--;
		char *out = xasprintf("%.*s\n", (int)n, n ? m->h.out.p : "");
		set_health(m, 0, m->h.start_ns, end, exit_code_of(status), out);
		free(out);
	}
	if (m->h.fd >= 0)
		close(m->h.fd);
	m->h.fd = -1;
	m->h.pid = 0;
	buf_free(&m->h.out);
	m->h.next = mono_ms() + wait_ms(m);
}

void health_tick(struct mon *m)
{
	if (!m->h.on)
		return;
	int status;
	if (m->h.pid) {
		if (take_reaped(m, m->h.pid, &status))
			check_done(m, status);
		else if (!m->h.timed_out && mono_ms() >= m->h.deadline) {
			kill(-m->h.pid, SIGKILL);
			kill(m->h.pid, SIGKILL); /* should its group not be its own */
			m->h.timed_out = 1;
		}
		return;
	}
	if (mono_ms() >= m->h.next)
		run_check(m);
}

/* health_wait_ms is how long pump may sleep before health_tick has work. */
int health_wait_ms(struct mon *m)
{
	if (!m->h.on || (m->h.pid && m->h.timed_out))
		return -1; /* nothing, or the killed check's exit (SIGCHLD) */
	int64_t left = (m->h.pid ? m->h.deadline : m->h.next) - mono_ms();
	return left < 0 ? 0 : left > 3600000 ? 3600000 : (int)left;
}

/* health_stop ends the checks of a run that is over. */
void health_stop(struct mon *m)
{
	if (m->h.pid) {
		kill(-m->h.pid, SIGKILL);
		kill(m->h.pid, SIGKILL);
	}
	if (m->h.fd >= 0)
		close(m->h.fd);
	m->h.fd = -1;
	m->h.pid = 0;
	m->h.on = 0;
	buf_free(&m->h.out);
}
