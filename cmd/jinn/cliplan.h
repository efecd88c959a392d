/* jinn's C run: `jinn run --rm` of an eligible command line, replayed
 * from the plan a Go run left (internal/cliplan), before the Go runtime
 * starts. cliplan.c loads the plan and checks its key; replay.c runs its
 * ops; attach.c speaks to the monitor. */
#ifndef JINN_CLIPLAN_H
#define JINN_CLIPLAN_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Hole markers (internal/cliplan/rec.go). */
enum {
	HoleID = 0x01, HoleID12, HoleName, HolePid, HoleCreated, HoleSnap, HoleMonPid, HoleMonBoot,
	HoleEvSec = 0x0e, HoleEvNano, HoleSnapTm = 0x11, HoleSig = 0x13,
};
#define NHOLES 0x14

struct arg {
	const char *p;
	size_t n;
};

struct op {
	char kind[16];
	int nargs;
	struct arg *args;
};

struct plan {
	char *buf; /* the file, which args point into */
	struct op *ops;
	int nops;
};

/* What the run has made so far and the values of its holes. */
struct run {
	char *hole[NHOLES]; /* NULL: not known yet */
	char *words[2];	    /* the name generator's lists, space-separated */
	int side_effects;   /* 0 until the first write: a failure before returns to Go */
	int snapfd, conn, sync_fd, code;
	pid_t monitor;
	char *sigproxy; /* kill's argv, \0-separated, HoleSig inside */
	size_t sigproxy_n;
	int seq;
};

extern struct run R;

/* cliplan.c */
char *fill(const struct arg *a, size_t *len); /* the arg with its holes written; NULL if one is unknown */
void set_hole(int h, const char *v);
void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void now_rfc3339(char *out, size_t len, int64_t *ns);
/* replay.c */
int replay(struct plan *p); /* the container's exit code; a failure exits the process */
int known_op(const char *kind);
/* attach.c */
int attach_connect(const char *sock);
int attach_until(int want, char **payload); /* relays output; 0 when a frame of type want came */
int send_frame(int typ);
void proxy_signals(void);
void restore_signals(void);
void forward_pending(void);
pid_t spawn_argv(char *const *argv, char *const *envp, int wait);
char **split0(char *s, size_t n); /* \0-separated into a NULL-ended vector (in place) */
#endif
