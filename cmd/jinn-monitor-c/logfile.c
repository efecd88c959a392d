/* docker's json-file log as internal/monitor/logfile.go writes it, byte for
 * byte: {"log":"...","stream":"stdout","time":"RFC3339Nano"} per line,
 * escaped as internal/jsonstr.AppendBody with html, rotated at max-size
 * into max-file files; and the engine's events. */
#include "cmon.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* rfc3339nano formats as Go's time.RFC3339Nano in UTC: trailing zeros of
 * the fraction dropped, no fraction when it is zero. */
static void rfc3339nano(char *out, size_t len, int64_t ns)
{
	time_t sec = ns / 1000000000;
	long frac = ns % 1000000000;
	struct tm tm;
	gmtime_r(&sec, &tm);
	int k = snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (frac) {
		char f[16];
		int n = snprintf(f, sizeof f, ".%09ld", frac);
		while (f[n - 1] == '0')
			n--;
		f[n] = 0;
		k += snprintf(out + k, len - k, "%s", f);
	}
	snprintf(out + k, len - k, "Z");
}

/* decode_rune is utf8.DecodeRune: the size of the rune at s, and in *r the
 * rune, or 0xFFFD with size 1 for an invalid encoding. */
static int decode_rune(const unsigned char *s, size_t n, uint32_t *r)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	int size;
	if (c < 0xC2 || c > 0xF4)
		goto bad;
	size = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if (c == 0xE0) lo = 0xA0;
	if (c == 0xED) hi = 0x9F;
	if (c == 0xF0) lo = 0x90;
	if (c == 0xF4) hi = 0x8F;
	if (n < (size_t)size || s[1] < lo || s[1] > hi)
		goto bad;
	for (int i = 2; i < size; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			goto bad;
	*r = size == 2 ? (uint32_t)(c & 0x1F) << 6 | (s[1] & 0x3F)
	   : size == 3 ? (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F)
		       : (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 |
			      (s[3] & 0x3F);
	return size;
bad:
	*r = 0xFFFD;
	return 1;
}

/* plain marks the bytes written as they are (jsonstr's plainHTML). */
static const unsigned char plain[256] = {
	[0x20 ... 0x7F] = 1, ['"'] = 0, ['\\'] = 0, ['<'] = 0, ['>'] = 0, ['&'] = 0,
};

void json_body(struct buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	/* The worst case, every byte as \u00XX: no growth check per byte. */
	buf_reserve(b, 6 * n);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && plain[s[j]])
			j++;
		if (j > i) {
			buf_add(b, s + i, j - i);
			i = j;
			continue;
		}
		unsigned char c = s[i];
		if (c < 0x80) {
			char t[6] = {'\\', c, 0, 0, 0, 0};
			int k = 2;
			if (c == '\n') t[1] = 'n';
			else if (c == '\r') t[1] = 'r';
			else if (c == '\t') t[1] = 't';
			else if (c == '\b') t[1] = 'b'; /* encoding/json since Go 1.22 */
			else if (c == '\f') t[1] = 'f';
			else if (c != '"' && c != '\\') {
				t[1] = 'u', t[2] = '0', t[3] = '0', t[4] = hex[c >> 4], t[5] = hex[c & 15];
				k = 6;
			}
			buf_add(b, t, k);
			i++;
			continue;
		}
		uint32_t r;
		int size = decode_rune(s + i, n - i, &r);
		if (r == 0xFFFD && size == 1)
			buf_str(b, "\\ufffd");
		else if (r == 0x2028 || r == 0x2029)
			buf_str(b, r == 0x2028 ? "\\u2028" : "\\u2029");
		else
			buf_add(b, s + i, size);
		i += size;
	}
}

int jlog_open(struct jlog *l, const char *path, int64_t max_size, int max_files)
{
	struct stat st;
	memset(l, 0, sizeof *l);
	l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (l->fd < 0 || fstat(l->fd, &st) < 0)
		return -1;
	l->path = xstrdup(path);
	l->size = st.st_size;
	l->max_size = max_size;
	l->max_files = max_files < 1 ? 1 : max_files;
	return 0;
}

static void jlog_write(struct jlog *l, const char *p, size_t n)
{
	while (l->fd >= 0 && n > 0) {
		ssize_t w = write(l->fd, p, n);
		if (w <= 0)
			return;
		l->size += w;
		p += w, n -= w;
	}
}

static void jlog_rotate(struct jlog *l)
{
	close(l->fd);
	if (l->max_files > 1) {
		for (int i = l->max_files - 1; i > 0; i--) {
			char *a = i > 1 ? xasprintf("%s.%d", l->path, i - 1) : xstrdup(l->path);
			char *b = xasprintf("%s.%d", l->path, i);
			rename(a, b);
			free(a);
			free(b);
		}
	}
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	l->size = 0;
}

/* A read's lines go out in one write (jsonLog.writeLines): begin, add each,
 * end. All lines of one read carry the same time. */
void jlog_begin(struct jlog *l, int64_t ns)
{
	rfc3339nano(l->stamp, sizeof l->stamp, ns);
	l->b.n = 0;
}

void jlog_add(struct jlog *l, const char *stream, const char *line, size_t len)
{
	struct buf *b = &l->b;
	size_t n = b->n;
	buf_str(b, "{\"log\":\"");
	json_body(b, line, len);
	buf_str(b, "\",\"stream\":\"");
	buf_str(b, stream);
	buf_str(b, "\",\"time\":\"");
	buf_str(b, l->stamp);
	buf_str(b, "\"}\n");
	if (l->max_size > 0 && l->size + (int64_t)n > 0 && l->size + (int64_t)b->n > l->max_size) {
		jlog_write(l, b->p, n);
		jlog_rotate(l);
		buf_drop(b, n);
	}
}

void jlog_end(struct jlog *l)
{
	jlog_write(l, l->b.p, l->b.n);
	l->b.n = 0;
	if (l->b.cap > 64 << 10)
		buf_free(&l->b);
}

#define MAX_LINE (16 * 1024)

/* add_line logs a whole line in pieces of at most 16 KiB (lineSplitter's
 * maxLine), however many reads it came in. */
static void add_line(struct jlog *l, const char *stream, const char *p, size_t n)
{
	for (; n > MAX_LINE; p += MAX_LINE, n -= MAX_LINE)
		jlog_add(l, stream, p, MAX_LINE);
	jlog_add(l, stream, p, n);
}

/* stream_data is lineSplitter.write: whole lines are logged as they come;
 * a line longer than 16 KiB is cut, like docker's. */
void stream_data(struct jlog *l, struct stream *s, const char *p, size_t n)
{
	jlog_begin(l, now_ns());
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		if (!nl) {
			jlog_end(l);
			buf_add(&s->part, p, n);
			if (s->part.n >= MAX_LINE) {
				jlog_add(l, s->name, s->part.p, s->part.n);
				jlog_end(l);
				s->part.n = 0;
				if (s->part.cap > 64 << 10)
					buf_free(&s->part);
			}
			return;
		}
		size_t k = nl - p + 1;
		if (s->part.n > 0) {
			buf_add(&s->part, p, k);
			add_line(l, s->name, s->part.p, s->part.n);
			s->part.n = 0;
		} else
			add_line(l, s->name, p, k);
		p += k, n -= k;
	}
	jlog_end(l);
	if (s->part.cap > 64 << 10)
		buf_free(&s->part);
}

void stream_flush(struct jlog *l, struct stream *s)
{
	if (s->part.n > 0) {
		jlog_begin(l, now_ns());
		jlog_add(l, s->name, s->part.p, s->part.n);
		jlog_end(l);
	}
	buf_free(&s->part);
}

/* event appends one docker-style event to the engine's events file, in
 * the Go monitor's (monitor.event) form, with one O_APPEND write. */
void event(struct config *c, const char *action, const char *k, const char *v)
{
	if (!*c->events)
		return;
	int64_t now = now_ns();
	struct buf b = {0};
	buf_str(&b, "{\"Type\":\"container\",\"Action\":\"");
	buf_str(&b, action);
	buf_str(&b, "\",\"Actor\":{\"ID\":\"");
	json_body(&b, c->id, strlen(c->id));
	buf_str(&b, "\",\"Attributes\":{\"image\":\"");
	json_body(&b, c->image, strlen(c->image));
	buf_str(&b, "\",\"name\":\"");
	json_body(&b, c->name, strlen(c->name));
	buf_str(&b, "\"");
	if (k) {
		buf_str(&b, ",\"");
		json_body(&b, k, strlen(k));
		buf_str(&b, "\":\"");
		json_body(&b, v, strlen(v));
		buf_str(&b, "\"");
	}
	for (int i = 0; i < c->event_attrs.n; i++) {
		const char *a = c->event_attrs.v[i], *eq = strchr(a, '=');
		size_t kl = eq ? (size_t)(eq - a) : strlen(a);
		if ((kl == 4 && !strncmp(a, "name", 4)) || (kl == 5 && !strncmp(a, "image", 5)))
			continue;
		buf_str(&b, ",\"");
		json_body(&b, a, kl);
		buf_str(&b, "\":\"");
		if (eq)
			json_body(&b, eq + 1, strlen(eq + 1));
		buf_str(&b, "\"");
	}
	buf_str(&b, "}},\"scope\":\"local\",\"time\":");
	buf_int(&b, now / 1000000000);
	buf_str(&b, ",\"timeNano\":");
	buf_int(&b, now);
	buf_str(&b, "}\n");
	int fd = open(c->events, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, b.p, b.n) < 0) {
			/* nothing to do: events are best effort, as in Go */
		}
		close(fd);
	}
	buf_free(&b);
}
