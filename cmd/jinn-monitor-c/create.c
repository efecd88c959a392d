/* create: one run of the container, `runtime run --detach` (create and
 * start in one exec) with fresh pipes or a console socket. */
#include "cmon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* receive_pty accepts the runtime's connection on the console socket and
 * returns the pty master it sends (runc's --console-socket protocol). */
static int receive_pty(int lfd)
{
	struct pollfd p = {lfd, POLLIN};
	if (poll(&p, 1, 5000) <= 0)
		return -1;
	int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return -1;
	char data[256], ctl[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = {data, sizeof data};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	int fd = -1;
	if (recvmsg(cfd, &msg, MSG_CMSG_CLOEXEC) >= 0)
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int *fds = (int *)CMSG_DATA(c);
			for (int i = 0; i < k; i++)
				if (fd < 0)
					fd = fds[i];
				else
					close(fds[i]);
		}
	close(cfd);
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static int listen_console(const char *dir, char *path, size_t len, int *dfd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *file = xasprintf("%s/console.sock", dir);
	unlink(file);
	free(file);
	*dfd = short_path(dir, "console.sock", sa.sun_path, sizeof sa.sun_path);
	if (*dfd < 0)
		return -1;
	snprintf(path, len, "%s", sa.sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		close(*dfd);
		errno = e;
		return -1;
	}
	return fd;
}

/* read_msg reads what the runtime printed on a pipe, waiting at most ms
 * for EOF (a process it left behind may hold the pipe open). */
static void read_msg(int fd, struct buf *b, int ms)
{
	int64_t end = mono_ms() + ms;
	for (;;) {
		struct pollfd p = {fd, POLLIN};
		int left = end - mono_ms();
		char t[512];
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return;
		ssize_t k = read(fd, t, sizeof t);
		if (k <= 0)
			return;
		buf_add(b, t, k);
	}
}

static int nonblock_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	return 0;
}

/* create runs `runtime run --detach` (create and start in one exec) with
 * fresh pipes (or a console socket) and returns the container init's pid;
 * the init is reparented to the monitor, a child subreaper, when the
 * runtime exits. *first_stdin is the first run's stdin pipe (-i). */
pid_t create(struct mon *m, int *first_stdin, char **err)
{
	struct config *c = m->cfg;
	char csock[128];
	int files[3], closeafter[3], nclose = 0, errR = -1, outR = -1, clfd = -1, cdfd = -1, p[2], e;
	char *pidfile = xasprintf("%s/init.pid", c->state_dir);
	unlink(pidfile);
	struct strv argv = {0};
	strv_add(&argv, c->runtime);
	for (int i = 0; i < c->runtime_args.n; i++)
		strv_add(&argv, c->runtime_args.v[i]);
	const char *args[] = {"run", "--detach", "--bundle", c->bundle, "--pid-file", pidfile};
	for (size_t i = 0; i < sizeof args / sizeof *args; i++)
		strv_add(&argv, (char *)args[i]);
	pid_t pid = 0;
	end_streams(m);
	if (c->tty) {
		if ((clfd = listen_console(c->state_dir, csock, sizeof csock, &cdfd)) < 0) {
			*err = xasprintf("console socket: %s", strerror(errno));
			goto out;
		}
		strv_add(&argv, "--console-socket");
		strv_add(&argv, csock);
		if (pipe2(p, O_CLOEXEC) < 0)
			goto syserr;
		errR = p[0];
		files[0] = m->devnull, files[1] = files[2] = p[1];
		closeafter[nclose++] = p[1];
	} else {
		int inR = m->devnull;
		if (*first_stdin >= 0) {
			inR = closeafter[nclose++] = *first_stdin;
			*first_stdin = -1;
		} else if (c->stdin_) {
			if (pipe2(p, O_CLOEXEC) < 0)
				goto syserr;
			inR = closeafter[nclose++] = p[0];
			fcntl(p[1], F_SETFL, O_NONBLOCK);
			set_stdin(m, p[1], 0);
		}
		if (nonblock_pipe(p) < 0)
			goto syserr;
		outR = p[0], files[1] = closeafter[nclose++] = p[1];
		if (nonblock_pipe(p) < 0)
			goto syserr;
		errR = p[0], files[2] = closeafter[nclose++] = p[1];
		files[0] = inR;
	}
	strv_add(&argv, c->id);
	pid_t rpid = spawn(argv.v, files[0], files[1], files[2], SPAWN_WITH_US, &e);
	for (int i = 0; i < nclose; i++)
		close(closeafter[i]);
	nclose = 0;
	if (rpid < 0) {
		*err = xasprintf("run %s: %s", c->runtime, strerror(e));
		goto out;
	}
	int st;
	wait_pid(m, rpid, -1, &st);
	if (st != 0) {
		struct buf msg = {0};
		read_msg(errR, &msg, c->tty ? 5000 : 500);
		*err = runtime_error(c->runtime, "run", msg.p, msg.n, st);
		buf_free(&msg);
		goto out;
	}
	if (c->tty) {
		int master = receive_pty(clfd);
		if (master < 0) {
			*err = xstrdup("create: runtime sent no pty master");
			goto out;
		}
		set_stdin(m, master, 1);
		m->streams[0] = (struct stream){.fd = master, .name = "stdout", .frame = FrameStdout};
	} else {
		m->streams[0] = (struct stream){.fd = outR, .name = "stdout", .frame = FrameStdout};
		m->streams[1] = (struct stream){.fd = errR, .name = "stderr", .frame = FrameStderr};
		outR = errR = -1;
	}
	FILE *f = fopen(pidfile, "re");
	char line[64] = "";
	if (!f) {
		*err = xasprintf("read pid file of %s: open %s: %s", c->id, pidfile, strerror(errno));
		goto out;
	}
	if (!fgets(line, sizeof line, f))
		line[0] = 0;
	fclose(f);
	char *end;
	long v = strtol(line, &end, 10);
	while (*end == '\n' || *end == ' ')
		end++;
	if (end == line || *end || v <= 0) {
		*err = xasprintf("bad pid file of %s: \"%s\"", c->id, line);
		goto out;
	}
	pid = v;
	goto out;
syserr:
	*err = xstrdup(strerror(errno));
out:
	for (int i = 0; i < nclose; i++)
		close(closeafter[i]);
	if (errR >= 0)
		close(errR);
	if (outR >= 0)
		close(outR);
	if (clfd >= 0) {
		char *file = xasprintf("%s/console.sock", c->state_dir);
		close(clfd);
		close(cdfd);
		unlink(file);
		free(file);
	}
	free(pidfile);
	free(argv.v);
	return pid;
}

