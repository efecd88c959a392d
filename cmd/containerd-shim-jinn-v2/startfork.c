// containerd's "start" forks here, before the Go runtime starts: the
// child goes on into Go as the start command and then serves the pod, so a
// pod's shim costs one process start, not two (start, then an exec of the
// serving shim, each a Go runtime and package start: ~3 ms of every
// RunPodSandbox). containerd reads the start's stdout until EOF as the
// address: the child gives up the parent's stdio at once and sends its
// word through a pipe, "0" and the address or "1" and an error; the parent
// prints it and exits without starting Go.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shimflags.h"

// The pipe's write end in the child, -1 elsewhere (read by main.go).
int jinn_shim_start_fd = -1;

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= w;
	}
}

// A spare shim (internal/shim, spare.go) is a shim started ahead, with
// the same containerd, namespace, flags and binary, that waits on a socket
// named by a hash of those (its key) to serve the next pod: a start that
// finds one hands it the bundle and prints its answer, and neither it nor
// the spare starts Go now. The request is the key, the bundle directory
// and the task id, each ended by a NUL; the answer "0" and the address,
// or "1" and why not: then the start goes on as without a spare.

static const char spare_prefix[] = "/run/containerd/s/jinn-spare-";

// spare_key writes the key (Go's spareKey) into buf: its length, or 0.
static size_t spare_key(const struct shim_flags *f, const char *ttrpc, char *buf, size_t size)
{
	struct stat st;
	if (stat("/proc/self/exe", &st) < 0)
		return 0;
	int n = snprintf(buf, size, "jinn-spare/1%c%s%c%s%c%s%c%d%c%s%c%llu:%llu", 0, f->address ? f->address : "", 0,
			 f->ns, 0, f->publish ? f->publish : "", 0, f->debug, 0, ttrpc, 0,
			 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static void write_all(int fd, const char *p, size_t n);

// try_spare hands the start to a spare if there is one: 1 if it answered.
static int try_spare(int argc, char **argv, char **envp)
{
	struct shim_flags f;
	const char *ttrpc = NULL;
	for (char **e = envp; e && *e; e++)
		if (strncmp(*e, "TTRPC_ADDRESS=", 14) == 0)
			ttrpc = *e + 14;
	if (!ttrpc || !*ttrpc || !parse_shim_flags(argc, argv, &f) || !f.ns || !*f.ns || !f.id || !*f.id)
		return 0;
	static char req[8192], cwd[4096];
	size_t kn = spare_key(&f, ttrpc, req, sizeof req);
	if (kn == 0 || getcwd(cwd, sizeof cwd) == NULL)
		return 0;
	// FNV-1a, 64 bits, of the key names the socket.
	unsigned long long h = 14695981039346656037ULL;
	for (size_t i = 0; i < kn; i++)
		h = (h ^ (unsigned char)req[i]) * 1099511628211ULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s%016llx", spare_prefix, h);
	int n = snprintf(req + kn, sizeof req - kn, "%c%s%c%s%c", 0, cwd, 0, f.id, 0);
	if (n <= 0 || (size_t)n >= sizeof req - kn)
		return 0;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	// A spare that does not answer in time is passed over.
	struct timeval tv = {.tv_sec = 2};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(s);
		return 0;
	}
	write_all(s, req, kn + n);
	shutdown(s, SHUT_WR);
	static char buf[8192];
	size_t got = 0;
	for (;;) {
		ssize_t r = read(s, buf + got, sizeof buf - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (got += r) == sizeof buf)
			break;
	}
	close(s);
	if (got < 2 || buf[0] != '0')
		return 0;
	write_all(1, buf + 1, got - 1);
	return 1;
}

__attribute__((constructor)) static void jinn_shim_start_fork(int argc, char **argv, char **envp)
{
	if (argc < 2 || strcmp(argv[argc - 1], "start") != 0)
		return;
	if (try_spare(argc, argv, envp))
		_exit(0);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return; /* Go's start then serves by exec, as without this */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		close(null);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		/* Its own session: containerd's signals to its group are not ours. */
		setsid();
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
		jinn_shim_start_fd = p[1];
		return;
	}
	close(p[1]);
	close(null);
	static char buf[8192];
	size_t n = 0;
	while (n < sizeof buf) {
		ssize_t r = read(p[0], buf + n, sizeof buf - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	if (n > 0 && buf[0] == '0') {
		write_all(1, buf + 1, n - 1);
		_exit(0);
	}
	if (n > 0) {
		write_all(2, buf + 1, n - 1);
		_exit(1);
	}
	/* No word: the child died before it could say anything. */
	waitpid(pid, NULL, WNOHANG);
	static const char msg[] = "containerd-shim-jinn-v2: start: the shim died before it started\n";
	write_all(2, msg, sizeof msg - 1);
	_exit(1);
}
