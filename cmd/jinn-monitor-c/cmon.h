/* jinn-monitor-c: the per-container monitor in C.
 *
 * It does what internal/monitor (the Go monitor) does; the engine picks it
 * unless told otherwise (internal/engine/monitorpick.go, the one place
 * that decides). Same files, same formats, same attach protocol, same
 * start-up protocol on fd 3; read internal/monitor/config.go for the
 * protocol table. One thread, one poll
 * loop: no Go runtime (528 KiB of anonymous memory before main), no glib.
 *
 *   cmon.h     shared types
 *   main.c     the monitor's life: start request, runs, restarts, the end
 *   create.c   one run: `runtime run --detach`, pipes or the console socket
 *   health.c   the health check: `runtime exec` on a timer, the health log
 *   loop.c     the poll loop: attach clients, output streams, reaping
 *   spawn.c    running the OCI runtime and the engine's commands
 *   logfile.c  docker's json-file log, events, JSON escaping
 *   store.c    monitor.conf and state: the Go codec's line format, the lock
 */
#ifndef CMON_H
#define CMON_H
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A growable byte buffer. */
struct buf {
	char *p;
	size_t n, cap;
};
void buf_reserve(struct buf *b, size_t n); /* room for n more bytes */
void buf_add(struct buf *b, const void *p, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_int(struct buf *b, int64_t v);
void buf_drop(struct buf *b, size_t n); /* remove the first n bytes */
void buf_free(struct buf *b);

struct strv {
	char **v;
	int n;
};
void strv_add(struct strv *s, char *p);

/* Config is internal/monitor.Config (the fields this monitor needs). */
struct config {
	char *id, *name, *image, *events, *runtime, *bundle, *state_dir, *log_path, *restart;
	struct strv runtime_args, oom_files, cleanup, on_exit, event_attrs;
	int64_t log_max_size;
	int log_max_files, tty, stdin_, start, restart_max;
	/* The health check (Config.Health): durations in nanoseconds. */
	struct strv health_test;
	int64_t h_interval, h_timeout, h_start_period, h_start_interval;
	int h_retries;
};
int config_read(const char *path, struct config *c, char **err);
char *unq(const char *v);		   /* strconv.Unquote, or v as it is */
void quote(struct buf *b, const char *s); /* what strconv.Unquote reads back */

/* State is internal/monitor.State; times in Unix nanoseconds, 0 = unset. */
struct state {
	char *status, *error;
	int64_t pid, monitor_pid, monitor_start, exit_code, started_at, finished_at, restart_count;
	int oom_killed, deleted;
	struct strv health; /* health_* lines, kept as they were */
};
/* state_begin takes the container's lock and reads the state; state_commit
 * writes it (atomically, by rename) and releases the lock. */
int state_begin(const char *dir, struct state *s, int *lockfd);
int state_commit(const char *dir, struct state *s, int lockfd);
void state_free(struct state *s);
int64_t proc_start(pid_t pid);

/* The json-file log. */
struct jlog {
	char *path;
	int fd;
	int64_t size, max_size;
	int max_files;
	struct buf b; /* one read's lines */
	char stamp[40];
};
int jlog_open(struct jlog *l, const char *path, int64_t max_size, int max_files);
void jlog_begin(struct jlog *l, int64_t now_ns);
void jlog_add(struct jlog *l, const char *stream, const char *line, size_t n);
void jlog_end(struct jlog *l);
void json_body(struct buf *b, const char *s, size_t n); /* jsonstr.AppendBody, html */
void event(struct config *c, const char *action, const char *k, const char *v);
int64_t now_ns(void);
int64_t mono_ms(void);

/* One output stream of the container: pipe or pty master. */
struct stream {
	int fd;
	const char *name;
	uint8_t frame;
	int big;	  /* reading 128 KiB at a time */
	int64_t last_big; /* ms: the last read of 8 KiB or more */
	struct buf part;  /* a line not yet ended */
};
void stream_data(struct jlog *l, struct stream *s, const char *p, size_t n);
void stream_flush(struct jlog *l, struct stream *s);

#include "frames.h"

struct client {
	int fd;
	struct buf in, out;
	int64_t full_since; /* ms; when its queue filled */
	struct client *next;
};

#define NREAPED 32
struct mon {
	struct config *cfg;
	int sync_fd, devnull, lfd, sigfd, parent_fd, cli_gone;
	struct jlog log;
	struct client *clients;
	int nclients;
	struct stream streams[2];
	/* The container's stdin: pipe write end or pty master, and what
	 * clients sent that it has not taken yet. */
	int stdin_fd, stdin_tty, stdin_close;
	struct buf stdin_q;
	uint8_t winsize[4];
	int have_winsize;
	int exited, exit_code, announced, removed, start_req;
	struct client *starter;
	/* A command's output being collected (see run_cmd). */
	int extra_fd;
	struct buf extra;
	/* The health check: the next run (ms, monotonic), the running one. */
	struct {
		int on, timed_out, fd;
		pid_t pid;
		int64_t began, next, deadline, start_ns;
		struct buf out;
	} h;
	struct {
		pid_t pid;
		int status;
	} reaped[NREAPED];
	int reaped_next;
};

/* loop.c */
void pump(struct mon *m, int timeout_ms);
int take_reaped(struct mon *m, pid_t pid, int *status);
int wait_pid(struct mon *m, pid_t pid, int timeout_ms, int *status);
int listen_attach(struct mon *m, const char *dir);
void broadcast(struct mon *m, int typ, const char *p, size_t n);
void reply(struct mon *m, struct client *c, int typ, const char *p, size_t n);
void set_stdin(struct mon *m, int fd, int tty);
int streams_open(struct mon *m);
void close_clients(struct mon *m);
void end_streams(struct mon *m);
void sleep_ms(struct mon *m, int ms);
void set_winsize(int fd, const uint8_t *sz);

/* health.c: the health check while the container runs */
void health_start(struct mon *m);
void health_tick(struct mon *m);
int health_wait_ms(struct mon *m);
void health_stop(struct mon *m);

/* create.c */
pid_t create(struct mon *m, int *first_stdin, char **err);

/* spawn.c */
enum { SPAWN_WITH_US = 1, SPAWN_PGID = 2 };
pid_t spawn(char **argv, int fd0, int fd1, int fd2, int flags, int *err);
int run_cmd(struct mon *m, struct strv *argv, int timeout_ms, char **errmsg);
int run_runtime(struct mon *m, const char *const *args, int timeout_ms, char **errmsg);
int delete_force(struct mon *m);
pid_t delete_begin(struct mon *m);
int delete_end(struct mon *m, pid_t pid);
char *runtime_error(const char *rt, const char *cmd, const char *out, size_t n, int status);
int short_path(const char *dir, const char *name, char *out, size_t outlen);

char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...);
int exit_code_of(int status);

#endif
