/* The poll loop: attach clients (the protocol of internal/monitor/attach.go),
 * the container's output streams, its stdin, children's exits (a signalfd
 * of SIGCHLD: the monitor is a child subreaper) and the CLI's exit (a pidfd).
 * main.c's code runs as a straight line that calls pump while it waits. */
#include "cmon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* A client slower than the container holds it back, as docker's attach
 * does (`jinn run ... | slow` gets every byte); one that takes nothing for
 * stallLimit is dropped. */
#define OUT_MAX (4 << 20)
#define STALL_MS 10000
#define STDIN_MAX (1 << 20)
#define FRAME_MAX (1 << 20)
/* Clients past this are refused: far above docker users' needs, below
 * the fd limit (1024) that would make accept fail and the loop spin. */
#define MAX_CLIENTS 1000
/* A stream is read 8 KiB at a time, as the Go monitor does (the json-file
 * log's cut of lines over 16 KiB depends on it), and 128 KiB at a time
 * while a read fills the buffer. The buffer is in .bss: pages a quiet
 * container never fills are never touched. */
#define READ_SMALL (8 << 10)
#define READ_BIG (128 << 10)

static char rbuf[READ_BIG];

static void drop_client(struct mon *m, struct client *c)
{
	for (struct client **p = &m->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	if (m->starter == c)
		m->starter = NULL;
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	m->nclients--;
}

static int flush_client(struct client *c)
{
	while (c->out.n > 0) {
		ssize_t w = send(c->fd, c->out.p, c->out.n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		buf_drop(&c->out, w);
		c->full_since = 0;
	}
	return 0;
}

static void queue(struct client *c, int typ, const char *p, size_t n)
{
	unsigned char h[5] = {typ, n >> 24, n >> 16, n >> 8, n};
	buf_add(&c->out, h, 5);
	buf_add(&c->out, p, n);
}

void reply(struct mon *m, struct client *c, int typ, const char *p, size_t n)
{
	for (struct client *x = m->clients; x; x = x->next)
		if (x == c) {
			queue(c, typ, p, n);
			if (flush_client(c) < 0)
				drop_client(m, c);
			return;
		}
}

void broadcast(struct mon *m, int typ, const char *p, size_t n)
{
	for (struct client *c = m->clients, *next; c; c = next) {
		next = c->next;
		queue(c, typ, p, n);
		if (flush_client(c) < 0)
			drop_client(m, c);
	}
}

void set_winsize(int fd, const uint8_t *sz)
{
	struct winsize ws = {.ws_row = sz[0] << 8 | sz[1], .ws_col = sz[2] << 8 | sz[3]};
	ioctl(fd, TIOCSWINSZ, &ws);
}

void set_stdin(struct mon *m, int fd, int tty)
{
	if (m->stdin_fd >= 0 && m->stdin_fd != fd && !m->stdin_tty)
		close(m->stdin_fd);
	m->stdin_fd = fd, m->stdin_tty = tty, m->stdin_close = 0;
	m->stdin_q.n = 0;
	/* The client sent its terminal's size when it attached, before the
	 * container (and its pty) existed. */
	if (fd >= 0 && tty && m->have_winsize)
		set_winsize(fd, m->winsize);
}

static void frame_in(struct mon *m, struct client *c, int typ, const char *p, size_t n)
{
	switch (typ) {
	case FrameRemoved:
		m->removed = 1;
		break;
	case FrameStart:
		if (!m->start_req)
			m->start_req = 1, m->starter = c;
		break;
	case FrameStdin:
		if (m->stdin_fd >= 0 && !m->stdin_close)
			buf_add(&m->stdin_q, p, n);
		break;
	case FrameCloseStdin:
		if (m->stdin_fd >= 0 && !m->stdin_tty)
			m->stdin_close = 1; /* once what came before is written */
		break;
	case FrameResize:
		if (n != 4)
			break;
		memcpy(m->winsize, p, 4);
		m->have_winsize = 1;
		if (m->stdin_fd >= 0 && m->stdin_tty)
			set_winsize(m->stdin_fd, m->winsize);
		break;
	}
}

static int read_client(struct mon *m, struct client *c)
{
	char *t = rbuf; /* not the stack: it would stay 32 KiB deeper */
	ssize_t k = recv(c->fd, t, 32 << 10, MSG_DONTWAIT);
	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (k == 0)
		return -1;
	buf_add(&c->in, t, k);
	size_t off = 0;
	while (c->in.n - off >= 5) {
		const unsigned char *h = (const unsigned char *)c->in.p + off;
		size_t n = (size_t)h[1] << 24 | h[2] << 16 | h[3] << 8 | h[4];
		if (n > FRAME_MAX)
			return -1;
		if (c->in.n - off < 5 + n)
			break;
		frame_in(m, c, h[0], (const char *)h + 5, n);
		off += 5 + n;
	}
	buf_drop(&c->in, off);
	return 0;
}

static void accept_client(struct mon *m)
{
	int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (m->exited) {
		char t[16];
		int n = snprintf(t, sizeof t, "%d", m->exit_code);
		struct client tmp = {.fd = fd};
		queue(&tmp, FrameExit, t, n);
		flush_client(&tmp);
		buf_free(&tmp.out);
		close(fd);
		return;
	}
	struct client *c = m->nclients < MAX_CLIENTS ? calloc(1, sizeof *c) : NULL;
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->next = m->clients;
	m->clients = c;
	m->nclients++;
}

int listen_attach(struct mon *m, const char *dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *path = xasprintf("%s/attach.sock", dir);
	unlink(path);
	free(path);
	int dfd = short_path(dir, "attach.sock", sa.sun_path, sizeof sa.sun_path);
	if (dfd < 0)
		return -1;
	m->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r = m->lfd < 0 || bind(m->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(m->lfd, 16) < 0 ? -1 : 0;
	int e = errno;
	close(dfd);
	errno = e;
	return r;
}

/* reap collects every exited child (the container's init, the runtime,
 * orphans reparented to the monitor) into a small ring that wait_pid and
 * take_reaped look in: an exit may come before its pid is known. */
static void reap(struct mon *m)
{
	struct signalfd_siginfo si;
	while (read(m->sigfd, &si, sizeof si) > 0)
		;
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0)
			return;
		m->reaped[m->reaped_next].pid = pid;
		m->reaped[m->reaped_next].status = st;
		m->reaped_next = (m->reaped_next + 1) % NREAPED;
	}
}

int take_reaped(struct mon *m, pid_t pid, int *status)
{
	for (int i = 0; i < NREAPED; i++)
		if (m->reaped[i].pid == pid) {
			*status = m->reaped[i].status;
			m->reaped[i].pid = 0;
			return 1;
		}
	return 0;
}

/* wait_pid waits for pid's exit at most timeout_ms (-1: no limit). With
 * no limit an idle monitor sleeps in poll until something happens: SIGCHLD
 * stays pending in the signalfd until read, so no exit is missed and no
 * timer wakes a thousand idle monitors. */
int wait_pid(struct mon *m, pid_t pid, int timeout_ms, int *status)
{
	int64_t end = mono_ms() + timeout_ms;
	for (;;) {
		reap(m);
		if (take_reaped(m, pid, status))
			return 0;
		int left = timeout_ms < 0 ? -1 : (int)(end - mono_ms());
		if (timeout_ms >= 0 && left <= 0)
			return -1;
		pump(m, left);
	}
}

int streams_open(struct mon *m) { return m->streams[0].fd >= 0 || m->streams[1].fd >= 0; }

static void stream_end(struct mon *m, struct stream *s)
{
	stream_flush(&m->log, s);
	if (m->stdin_fd == s->fd) /* a pty master: stdin too */
		m->stdin_fd = -1;
	close(s->fd);
	s->fd = -1;
}

/* end_streams stops reading what a run left open (a process of the
 * container that outlived its init holds the pipes). */
void end_streams(struct mon *m)
{
	for (int i = 0; i < 2; i++)
		if (m->streams[i].fd >= 0)
			stream_end(m, &m->streams[i]);
}

static void read_stream(struct mon *m, struct stream *s)
{
	int64_t now = mono_ms();
	if (s->big && now - s->last_big > 1000)
		s->big = 0; /* quiet again: small reads, as the Go monitor's */
	size_t want = s->big ? READ_BIG : READ_SMALL;
	ssize_t n = read(s->fd, rbuf, want);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* EOF, or EIO: a pty whose other side is closed */
		stream_end(m, s);
		return;
	}
	if ((size_t)n >= READ_SMALL) {
		s->last_big = now;
		if ((size_t)n == want && !s->big) {
			/* A fast writer: one wake-up and log write per 128 KiB,
			 * not per 8 KiB, and a pipe that holds a burst. */
			s->big = 1;
			fcntl(s->fd, F_SETPIPE_SZ, 1 << 20);
		}
	}
	stream_data(&m->log, s, rbuf, n);
	/* Frames of at most 8 KiB, as the Go monitor sends. */
	for (ssize_t off = 0; off < n; off += READ_SMALL)
		broadcast(m, s->frame, rbuf + off, n - off < READ_SMALL ? n - off : READ_SMALL);
}

static void write_stdin(struct mon *m)
{
	while (m->stdin_q.n > 0) {
		ssize_t w = write(m->stdin_fd, m->stdin_q.p, m->stdin_q.n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			m->stdin_q.n = 0; /* the container closed its stdin */
			break;
		}
		buf_drop(&m->stdin_q, w);
	}
	if (m->stdin_close && !m->stdin_tty) {
		close(m->stdin_fd);
		m->stdin_fd = -1;
		m->stdin_close = 0;
	}
}

/* pump waits at most timeout_ms for something to happen and handles it. */
void pump(struct mon *m, int timeout_ms)
{
	/* The poll set: the monitor's own fds (at most 8), then one per client;
	 * grown as clients come, never shrunk (a few bytes a client). */
	static struct pollfd *pf;
	static struct client **cl;
	static int cap;
	if (cap < 8 + m->nclients) {
		int c = 8 + m->nclients + 16;
		struct pollfd *p = realloc(pf, c * sizeof *pf);
		if (p)
			pf = p;
		struct client **q = p ? realloc(cl, c * sizeof *cl) : NULL;
		if (q)
			cl = q;
		if (!p || !q) {
			/* Out of memory: wait a moment rather than poll a short set. */
			poll(NULL, 0, 100);
			return;
		}
		cap = c;
	}
	int n = 0, full = 0, ns[2] = {-1, -1};
	int64_t now = mono_ms();
	for (struct client *c = m->clients, *next; c; c = next) {
		next = c->next;
		if (c->out.n > OUT_MAX) {
			if (!c->full_since)
				c->full_since = now;
			else if (now - c->full_since > STALL_MS) {
				drop_client(m, c);
				continue;
			}
			full = 1;
		}
	}
	pf[n++] = (struct pollfd){m->sigfd, POLLIN};
	int il = m->lfd >= 0 ? n : -1;
	if (m->lfd >= 0)
		pf[n++] = (struct pollfd){m->lfd, POLLIN};
	int ip = m->parent_fd >= 0 ? n : -1;
	if (m->parent_fd >= 0)
		pf[n++] = (struct pollfd){m->parent_fd, POLLIN};
	int ie = m->extra_fd >= 0 ? n : -1;
	if (m->extra_fd >= 0)
		pf[n++] = (struct pollfd){m->extra_fd, POLLIN};
	int ih = m->h.fd >= 0 ? n : -1;
	if (m->h.fd >= 0)
		pf[n++] = (struct pollfd){m->h.fd, POLLIN};
	int ii = m->stdin_fd >= 0 && (m->stdin_q.n > 0 || m->stdin_close) ? n : -1;
	if (ii >= 0)
		pf[n++] = (struct pollfd){m->stdin_fd, POLLOUT};
	for (int i = 0; i < 2; i++)
		if (m->streams[i].fd >= 0 && !full) {
			ns[i] = n;
			pf[n++] = (struct pollfd){m->streams[i].fd, POLLIN};
		}
	int first = n;
	for (struct client *c = m->clients; c && n < cap; c = c->next) {
		short ev = m->stdin_q.n < STDIN_MAX ? POLLIN : 0;
		if (c->out.n > 0)
			ev |= POLLOUT;
		cl[n] = c;
		pf[n++] = (struct pollfd){c->fd, ev};
	}
	if (full && (timeout_ms < 0 || timeout_ms > 1000))
		timeout_ms = 1000; /* to notice a stall */
	if (poll(pf, n, timeout_ms) <= 0)
		return;
	if (pf[0].revents)
		reap(m);
	if (ip >= 0 && pf[ip].revents) {
		close(m->parent_fd);
		m->parent_fd = -1;
		m->cli_gone = 1;
	}
	if (ie >= 0 && pf[ie].revents) {
		ssize_t k = read(m->extra_fd, rbuf, sizeof rbuf);
		if (k > 0)
			buf_add(&m->extra, rbuf, k);
		else if (k == 0 || errno != EAGAIN)
			m->extra_fd = -1; /* at its end: run_collect closes it */
	}
	if (ih >= 0 && pf[ih].revents) { /* a health check's output: its first 4 KiB */
		ssize_t k = read(m->h.fd, rbuf, READ_SMALL);
		if (k > 0 && m->h.out.n < 4096)
			buf_add(&m->h.out, rbuf, k);
		else if (k == 0 || (k < 0 && errno != EAGAIN)) {
			close(m->h.fd);
			m->h.fd = -1;
		}
	}
	if (ii >= 0 && pf[ii].revents)
		write_stdin(m);
	for (int i = first; i < n; i++) {
		struct client *c = cl[i];
		if (!pf[i].revents)
			continue;
		int bad = 0;
		if (pf[i].revents & POLLOUT)
			bad = flush_client(c) < 0;
		if (!bad && pf[i].revents & (POLLIN | POLLHUP | POLLERR))
			bad = read_client(m, c) < 0;
		if (bad)
			drop_client(m, c);
	}
	/* After the clients: a broadcast may drop one (cl[] would dangle). */
	for (int i = 0; i < 2; i++)
		if (ns[i] >= 0 && pf[ns[i]].revents && m->streams[i].fd == pf[ns[i]].fd)
			read_stream(m, &m->streams[i]);
	/* Input that came now goes out at once when the pipe has room. */
	if (m->stdin_fd >= 0 && (m->stdin_q.n > 0 || m->stdin_close))
		write_stdin(m);
	if (il >= 0 && pf[il].revents)
		accept_client(m);
}

/* close_clients sends what is queued for each client (a slow one gets it
 * too, within the stall limit) and closes them. */
void close_clients(struct mon *m)
{
	end_streams(m);
	int64_t end = mono_ms() + STALL_MS;
	for (;;) {
		int pending = 0;
		for (struct client *c = m->clients; c; c = c->next)
			pending |= c->out.n > 0;
		if (!pending || mono_ms() > end)
			break;
		pump(m, 1000);
	}
	while (m->clients)
		drop_client(m, m->clients);
}

/* sleep_ms waits ms while serving clients. */
void sleep_ms(struct mon *m, int ms)
{
	int64_t end = mono_ms() + ms;
	for (int64_t left = ms; left > 0; left = end - mono_ms())
		pump(m, (int)left);
}
