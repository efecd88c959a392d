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
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

__attribute__((constructor)) static void jinn_shim_start_fork(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc < 2 || strcmp(argv[argc - 1], "start") != 0)
		return;
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
