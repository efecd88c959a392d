// The attached part of jinn's C run: the monitor's attach socket, its
// frames (the C monitor's definitions, frames.h), the output relayed, and
// sig-proxy: SIGINT, SIGTERM, SIGQUIT, SIGUSR1 and SIGUSR2 passed on as
// Go's runAttached does, by jinn's own `kill --signal N ID` (Go's kill:
// the same event, the same runtime call); SIGHUP ignored.
#define _GNU_SOURCE
#include "cliplan.h"
#include "../jinn-monitor-c/frames.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t pending[32];
static pid_t kills[16]; /* sig-proxy's kill commands not yet reaped */
static int proxying;
static const int sigs[] = {SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGHUP};
#define NSIGS (sizeof sigs / sizeof *sigs)
static struct sigaction saved[NSIGS];

static void on_signal(int sig) { pending[sig] = 1; }

void proxy_signals(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read sees EINTR */
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < NSIGS; i++) {
		struct sigaction *s = &sa, ign = {0};
		if (sigs[i] == SIGHUP) {
			ign.sa_handler = SIG_IGN;
			s = &ign;
		}
		sigaction(sigs[i], s, proxying ? NULL : &saved[i]);
	}
	proxying = 1;
}

void restore_signals(void)
{
	for (unsigned i = 0; proxying && i < NSIGS; i++)
		sigaction(sigs[i], &saved[i], NULL);
	proxying = 0;
}

char **split0(char *s, size_t n)
{
	size_t c = 1;
	for (size_t i = 0; i < n; i++)
		c += s[i] == 0;
	char **v = calloc(c + 1, sizeof *v);
	size_t k = 0;
	v[k++] = s;
	for (size_t i = 0; i < n; i++)
		if (s[i] == 0)
			v[k++] = s + i + 1;
	v[k] = NULL;
	return v;
}

// spawn_argv runs a jinn or runtime command with nothing of ours: its
// stdio /dev/null (Go's e.Kill and rm print nothing of theirs here).
pid_t spawn_argv(char *const *argv, char *const *envp, int wait)
{
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		close_range(3, ~0U, 0);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	int st;
	if (pid > 0 && wait)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	return pid;
}

extern char **environ;

void forward_pending(void)
{
	if (!proxying)
		return;
	for (int s = 1; s < 32; s++) {
		if (!pending[s])
			continue;
		pending[s] = 0;
		char n[8];
		snprintf(n, sizeof n, "%d", s);
		set_hole(HoleSig, n);
		struct arg a = {R.sigproxy, R.sigproxy_n};
		size_t len;
		char *line = fill(&a, &len);
		char **argv = split0(line, len);
		trace("c-run sig-proxy %d", s);
		pid_t pid = spawn_argv(argv, environ, 0);
		for (int i = 0; pid > 0 && i < 16; i++)
			if (kills[i] <= 0) {
				kills[i] = pid;
				break;
			}
		free(argv);
		free(line);
	}
	for (int i = 0; i < 16; i++) /* the kills that are done; no other child */
		if (kills[i] > 0 && waitpid(kills[i], NULL, WNOHANG) == kills[i])
			kills[i] = 0;
}

// attach_connect is monitor.ShortPath and net.Dial: the socket through
// its directory's fd, whatever the length of its path.
int attach_connect(const char *sock)
{
	char *d = strdup(sock), *b = strdup(sock);
	int dfd = open(dirname(d), O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dfd, basename(b));
	R.conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r = dfd < 0 || R.conn < 0 ? -1 : connect(R.conn, (struct sockaddr *)&sa, sizeof sa);
	if (dfd >= 0)
		close(dfd);
	free(d);
	free(b);
	return r;
}

static int full(int fd, char *p, size_t n, int rd)
{
	while (n) {
		ssize_t r = rd ? read(fd, p, n) : write(fd, p, n);
		if (r < 0 && errno == EINTR) {
			forward_pending();
			continue;
		}
		if (r <= 0)
			return -1;
		p += r;
		n -= r;
	}
	return 0;
}

int send_frame(int typ)
{
	char h[FRAME_HDR] = {(char)typ, 0, 0, 0, 0};
	return full(R.conn, h, sizeof h, 0);
}

int attach_until(int want, char **payload)
{
	static char *buf;
	if (!buf)
		buf = malloc(FRAME_MAX + 1);
	for (;;) {
		unsigned char h[FRAME_HDR];
		if (full(R.conn, (char *)h, sizeof h, 1) < 0)
			return -1;
		uint32_t n = (uint32_t)h[1] << 24 | h[2] << 16 | h[3] << 8 | h[4];
		if (n > FRAME_MAX || full(R.conn, buf, n, 1) < 0)
			return -1;
		buf[n] = 0;
		if (h[0] == FrameStdout || h[0] == FrameStderr) {
			if (full(h[0] == FrameStdout ? 1 : 2, buf, n, 0) < 0) {
				/* a reader gone: Go's Write error is dropped too */
			}
		}
		if (h[0] == want) {
			if (payload)
				*payload = buf;
			return 0;
		}
	}
}
