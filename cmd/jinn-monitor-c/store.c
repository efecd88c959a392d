/* monitor.conf and the state file in the Go monitor's line format
 * (internal/monitor/codec.go): one "key value" per line, strings
 * Go-quoted, a repeated key a list, unknown keys ignored. */
#include "cmon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		abort();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		abort();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

void buf_reserve(struct buf *b, size_t n)
{
	if (b->n + n > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		while (c < b->n + n)
			c *= 2;
		b->p = xrealloc(b->p, c);
		b->cap = c;
	}
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

void buf_str(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

void buf_int(struct buf *b, int64_t v)
{
	char t[24];
	buf_add(b, t, snprintf(t, sizeof t, "%lld", (long long)v));
}

void buf_drop(struct buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->n - n);
	b->n -= n;
	/* A monitor lives as long as its container: what a burst grew goes. */
	if (b->n == 0 && b->cap > 64 << 10)
		buf_free(b);
}

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

void strv_add(struct strv *s, char *p)
{
	s->v = xrealloc(s->v, (s->n + 2) * sizeof *s->v);
	s->v[s->n++] = p;
	s->v[s->n] = NULL;
}

static void put_utf8(struct buf *b, uint32_t r)
{
	char t[4];
	if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		r = 0xFFFD;
	if (r < 0x80) {
		t[0] = r;
		buf_add(b, t, 1);
	} else if (r < 0x800) {
		t[0] = 0xC0 | r >> 6, t[1] = 0x80 | (r & 0x3F);
		buf_add(b, t, 2);
	} else if (r < 0x10000) {
		t[0] = 0xE0 | r >> 12, t[1] = 0x80 | (r >> 6 & 0x3F), t[2] = 0x80 | (r & 0x3F);
		buf_add(b, t, 3);
	} else {
		t[0] = 0xF0 | r >> 18, t[1] = 0x80 | (r >> 12 & 0x3F), t[2] = 0x80 | (r >> 6 & 0x3F);
		t[3] = 0x80 | (r & 0x3F);
		buf_add(b, t, 4);
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* unq is codec.go's unq: strconv.Unquote of a double-quoted string, or the
 * value as it is when that fails. */
char *unq(const char *v)
{
	size_t n = strlen(v);
	struct buf b = {0};
	if (n < 2 || v[0] != '"' || v[n - 1] != '"')
		return xstrdup(v);
	for (size_t i = 1; i < n - 1;) {
		unsigned char c = v[i];
		if (c == '"')
			goto bad;
		if (c != '\\') {
			buf_add(&b, &v[i++], 1);
			continue;
		}
		if (i + 1 >= n - 1)
			goto bad;
		c = v[i + 1];
		i += 2;
		char e = 0;
		switch (c) {
		case 'a': e = '\a'; break;
		case 'b': e = '\b'; break;
		case 'f': e = '\f'; break;
		case 'n': e = '\n'; break;
		case 'r': e = '\r'; break;
		case 't': e = '\t'; break;
		case 'v': e = '\v'; break;
		case '\\': case '"': case '\'': e = c; break;
		}
		if (e) {
			buf_add(&b, &e, 1);
			continue;
		}
		int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
		if (digits) {
			uint32_t r = 0;
			if (i + digits > n - 1)
				goto bad;
			for (int k = 0; k < digits; k++) {
				int h = hexval(v[i + k]);
				if (h < 0)
					goto bad;
				r = r << 4 | h;
			}
			i += digits;
			if (c == 'x') {
				char ch = r;
				buf_add(&b, &ch, 1);
			} else
				put_utf8(&b, r);
			continue;
		}
		if (c >= '0' && c <= '7' && i + 2 <= n - 1) {
			int r = (c - '0') * 64 + (v[i] - '0') * 8 + (v[i + 1] - '0');
			char ch = r;
			i += 2;
			buf_add(&b, &ch, 1);
			continue;
		}
		goto bad;
	}
	buf_add(&b, "", 1);
	return b.p;
bad:
	buf_free(&b);
	return xstrdup(v);
}

/* quote writes a string that strconv.Unquote reads back byte for byte. */
void quote(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	buf_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char t[2] = {'\\', *p};
			buf_add(b, t, 2);
		} else if (*p < 0x20 || *p >= 0x7F) {
			char t[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
			buf_add(b, t, 4);
		} else
			buf_add(b, p, 1);
	}
	buf_add(b, "\"", 1);
}

static char *read_file(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct buf b = {0};
	ssize_t k;
	if (fd < 0)
		return NULL;
	for (;;) {
		buf_reserve(&b, 1024);
		k = read(fd, b.p + b.n, 1024);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		b.n += k;
	}
	close(fd);
	buf_add(&b, "", 1);
	*n = b.n - 1;
	return b.p;
}

/* next_kv splits the next non-empty line of *p into key and value (in
 * place); 0 at the end, -1 for a line without a space. */
static int next_kv(char **p, char **k, char **v)
{
	char *s = *p;
	while (*s == '\n')
		s++;
	if (!*s)
		return 0;
	char *e = strchr(s, '\n');
	*p = e ? e + 1 : s + strlen(s);
	if (e)
		*e = 0;
	char *sp = strchr(s, ' ');
	if (!sp)
		return -1;
	*sp = 0;
	*k = s, *v = sp + 1;
	return 1;
}

int config_read(const char *path, struct config *c, char **err)
{
	size_t n;
	char *b = read_file(path, &n), *p = b, *k, *v;
	int r;
	if (!b) {
		*err = xasprintf("open %s: %s", path, strerror(errno));
		return -1;
	}
	memset(c, 0, sizeof *c);
	while ((r = next_kv(&p, &k, &v)) > 0) {
		char **s = NULL;
		struct strv *l = NULL;
		if (!strcmp(k, "id")) s = &c->id;
		else if (!strcmp(k, "name")) s = &c->name;
		else if (!strcmp(k, "image")) s = &c->image;
		else if (!strcmp(k, "events")) s = &c->events;
		else if (!strcmp(k, "runtime")) s = &c->runtime;
		else if (!strcmp(k, "bundle")) s = &c->bundle;
		else if (!strcmp(k, "state_dir")) s = &c->state_dir;
		else if (!strcmp(k, "log_path")) s = &c->log_path;
		else if (!strcmp(k, "restart")) s = &c->restart;
		else if (!strcmp(k, "runtime_arg")) l = &c->runtime_args;
		else if (!strcmp(k, "oom_file")) l = &c->oom_files;
		else if (!strcmp(k, "cleanup")) l = &c->cleanup;
		else if (!strcmp(k, "on_exit")) l = &c->on_exit;
		else if (!strcmp(k, "event_attr")) l = &c->event_attrs;
		else if (!strcmp(k, "log_max_size")) c->log_max_size = strtoll(v, NULL, 10);
		else if (!strcmp(k, "log_max_files")) c->log_max_files = atoi(v);
		else if (!strcmp(k, "tty")) c->tty = !strcmp(v, "1");
		else if (!strcmp(k, "stdin")) c->stdin_ = !strcmp(v, "1");
		else if (!strcmp(k, "start")) c->start = !strcmp(v, "1");
		else if (!strcmp(k, "restart_max")) c->restart_max = atoi(v);
		else if (!strcmp(k, "health_test")) l = &c->health_test;
		else if (!strcmp(k, "health_interval")) c->h_interval = strtoll(v, NULL, 10);
		else if (!strcmp(k, "health_timeout")) c->h_timeout = strtoll(v, NULL, 10);
		else if (!strcmp(k, "health_start_period")) c->h_start_period = strtoll(v, NULL, 10);
		else if (!strcmp(k, "health_start_interval")) c->h_start_interval = strtoll(v, NULL, 10);
		else if (!strcmp(k, "health_retries")) c->h_retries = atoi(v);
		if (s) {
			free(*s);
			*s = unq(v);
		}
		if (l)
			strv_add(l, unq(v));
	}
	free(b);
	if (r < 0) {
		*err = xstrdup("parse monitor config: bad line");
		return -1;
	}
	char **req[] = {&c->id, &c->name, &c->image, &c->events, &c->runtime, &c->bundle, &c->state_dir, &c->log_path,
			&c->restart};
	for (size_t i = 0; i < sizeof req / sizeof *req; i++)
		if (!*req[i])
			*req[i] = xstrdup("");
	return 0;
}

static const char *statuses[] = {"created", "running", "paused", "restarting", "exited", NULL};

/* state_parse is decodeState with checkState: a damaged file is refused,
 * so that a writer never turns it into a plausible one. */
static int state_parse(char *b, size_t n, struct state *s)
{
	char *p = b, *k, *v, *lastk = NULL;
	int r, ok = 0;
	if (n == 0 || b[n - 1] != '\n')
		return -1;
	int formatted = !strncmp(b, "format 2\n", 9);
	while ((r = next_kv(&p, &k, &v)) > 0) {
		lastk = k;
		if (!strcmp(k, "status")) free(s->status), s->status = unq(v);
		else if (!strcmp(k, "error")) free(s->error), s->error = unq(v);
		else if (!strcmp(k, "pid")) s->pid = strtoll(v, NULL, 10);
		else if (!strcmp(k, "monitor_pid")) s->monitor_pid = strtoll(v, NULL, 10);
		else if (!strcmp(k, "monitor_start")) s->monitor_start = strtoll(v, NULL, 10);
		else if (!strcmp(k, "exit_code")) s->exit_code = strtoll(v, NULL, 10);
		else if (!strcmp(k, "oom_killed")) s->oom_killed = !strcmp(v, "1");
		else if (!strcmp(k, "started_at")) s->started_at = strtoll(v, NULL, 10);
		else if (!strcmp(k, "finished_at")) s->finished_at = strtoll(v, NULL, 10);
		else if (!strcmp(k, "restart_count")) s->restart_count = strtoll(v, NULL, 10);
		else if (!strcmp(k, "deleted")) s->deleted = !strcmp(v, "1");
		else if (!strncmp(k, "health_", 7))
			strv_add(&s->health, xasprintf("%s %s", k, v));
	}
	if (r < 0 || (formatted && (!lastk || strcmp(lastk, "end"))))
		return -1;
	for (int i = 0; statuses[i]; i++)
		ok |= s->status && !strcmp(s->status, statuses[i]);
	return ok ? 0 : -1;
}

static void state_encode(struct buf *b, struct state *s)
{
#define KI(k, v) (buf_str(b, k " "), buf_int(b, v), buf_str(b, "\n"))
	buf_str(b, "format 2\nstatus ");
	quote(b, s->status ? s->status : "");
	buf_str(b, "\n");
	KI("pid", s->pid);
	KI("monitor_pid", s->monitor_pid);
	KI("monitor_start", s->monitor_start);
	KI("exit_code", s->exit_code);
	KI("oom_killed", s->oom_killed);
	if (s->error && *s->error) {
		buf_str(b, "error ");
		quote(b, s->error);
		buf_str(b, "\n");
	}
	if (s->started_at)
		KI("started_at", s->started_at);
	if (s->finished_at)
		KI("finished_at", s->finished_at);
	KI("restart_count", s->restart_count);
	KI("deleted", s->deleted);
	for (int i = 0; i < s->health.n; i++) {
		buf_str(b, s->health.v[i]);
		buf_str(b, "\n");
	}
	KI("end", 1);
#undef KI
}

void state_free(struct state *s)
{
	free(s->status);
	free(s->error);
	for (int i = 0; i < s->health.n; i++)
		free(s->health.v[i]);
	free(s->health.v);
	memset(s, 0, sizeof *s);
}

int state_begin(const char *dir, struct state *s, int *lockfd)
{
	size_t n;
	memset(s, 0, sizeof *s);
	char *path = xasprintf("%s/lock", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	path = xasprintf("%s/state", dir);
	char *b = read_file(path, &n);
	free(path);
	if (!b && errno != ENOENT) {
		close(fd);
		return -1;
	}
	if (b && state_parse(b, n, s) < 0) {
		free(b);
		state_free(s);
		close(fd);
		return -1;
	}
	free(b);
	*lockfd = fd;
	return 0;
}

/* state_commit writes as internal/atomicfile does: a temporary file named
 * NAME.tmpPID-N (which cleaners recognise), then rename. */
int state_commit(const char *dir, struct state *s, int lockfd)
{
	static unsigned seq;
	struct buf b = {0};
	int r = -1;
	state_encode(&b, s);
	char *path = xasprintf("%s/state", dir);
	char *tmp = xasprintf("%s.tmp%d-%u", path, (int)getpid(), ++seq);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ssize_t w = write(fd, b.p, b.n);
		if (close(fd) == 0 && w == (ssize_t)b.n && rename(tmp, path) == 0)
			r = 0;
		else
			unlink(tmp);
	}
	buf_free(&b);
	free(tmp);
	free(path);
	state_free(s);
	close(lockfd);
	return r;
}

/* proc_start is monitor.ProcStart: field 22 of /proc/PID/stat. */
int64_t proc_start(pid_t pid)
{
	char path[64];
	size_t n;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	char *b = read_file(path, &n);
	if (!b)
		return 0;
	char *p = strrchr(b, ')');
	int64_t v = 0;
	if (p) {
		int field = 2;
		for (p++; *p && field <= 22; p++) {
			if (*p == ' ') {
				field++;
				continue;
			}
			if (field == 22) {
				if (*p < '0' || *p > '9')
					break;
				v = v * 10 + (*p - '0');
			}
		}
	}
	free(b);
	return v;
}
