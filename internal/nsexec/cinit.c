// The C init of jinn-runtime: the container side of create and run for
// the common configs, with no Go runtime start in the container's process.
// The parent (internal/runtime/cinit.go) chose it, resolved and encoded
// everything it could (mount flags, host paths, capability masks, the
// seccomp program, cgroup hierarchies) into a plan of ops (cinit.h); this
// code only interprets the ops in order, with the same path-safety rules
// as the Go code (internal/rootfs, internal/fsroot): every path inside the
// rootfs is resolved by openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS),
// missing directories are made one component at a time, and mounts go onto
// the opened descriptor (/proc/self/fd/N). Errors go to the parent as one
// JSON line, {"type":"error","msg":...}, in the Go init's wording.
#include "cinit_impl.h"

int ci_sfd = -1;
int ci_fifo_wfd = -1;
int ci_rootfd = -1;
int ci_tty = -1;

// errstr is Go's wording of an errno: glibc's text, lower-cased first.
const char *ci_errstr(int e)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] += 'a' - 'A';
	return buf;
}

// die sends the formatted message to the parent (and to start through the
// fifo, once open) and exits 1.
__attribute__((noreturn, format(printf, 1, 2))) void ci_die(const char *fmt, ...)
{
	char msg[2048], out[4200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ci_fifo_wfd >= 0)
		(void)!write(ci_fifo_wfd, msg, strlen(msg));
	size_t o = snprintf(out, sizeof(out), "{\"type\":\"error\",\"msg\":\"");
	for (const unsigned char *p = (const unsigned char *)msg; *p && o < sizeof(out) - 16; p++) {
		if (*p == '"' || *p == '\\')
			o += snprintf(out + o, 3, "\\%c", *p);
		else if (*p < 0x20)
			o += snprintf(out + o, 7, "\\u%04x", *p);
		else
			out[o++] = *p;
	}
	o += snprintf(out + o, sizeof(out) - o, "\"}\n");
	(void)!write(ci_sfd, out, o);
	_exit(1);
}

void ci_send(const char *type)
{
	char out[64];
	int n = snprintf(out, sizeof(out), "{\"type\":\"%s\"}\n", type);
	if (write(ci_sfd, out, n) != n)
		ci_die("send %s: %s", type, ci_errstr(errno));
}

// ---- the plan ----

static const char *plan, *pend;
static void read_part(void);

uint64_t ci_num(void)
{
	uint64_t v;
	if (pend - plan < 8)
		ci_die("cinit: plan truncated");
	memcpy(&v, plan, 8);
	plan += 8;
	return v;
}

const char *ci_str_len(uint32_t *lenp)
{
	uint32_t n;
	if (pend - plan < 4)
		ci_die("cinit: plan truncated");
	memcpy(&n, plan, 4);
	plan += 4;
	if ((uint64_t)(pend - plan) < (uint64_t)n + 1 || plan[n] != 0)
		ci_die("cinit: plan truncated");
	const char *s = plan;
	plan += n + 1;
	if (lenp)
		*lenp = n;
	return s;
}

const char *ci_str(void) { return ci_str_len(NULL); }

static void op_hooks(void)
{
	char line[4096];
	size_t n = 0;
	ci_send("hooks");
	while (n < sizeof(line) - 1) {
		ssize_t r = read(ci_sfd, line + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(1); // the parent went away
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	if (strstr(line, "\"ok\"") == NULL)
		ci_die("container init got %s, want \"ok\"", line);
}

static void run(void)
{
	for (;;) {
		if (plan >= pend)
			ci_die("cinit: plan without start");
		int op = (unsigned char)*plan++;
		switch (op) {
		case CINIT_OP_JOIN_TASKS: {
			// Before anything else, above all before any fork.
			const char *p = ci_str();
			int fd = open(p, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, "0", 1) != 1)
				ci_die("join cgroup %s: %s", p, ci_errstr(errno));
			close(fd);
			break;
		}
		case CINIT_OP_JOIN_FD: {
			int fd = ci_num();
			if (write(fd, "0", 1) != 1)
				ci_die("join cgroup fd:%d: %s", fd, ci_errstr(errno));
			close(fd);
			break;
		}
		case CINIT_OP_UNSHARE:
			if (unshare(ci_num()) < 0)
				ci_die("unshare cgroup namespace: %s", ci_errstr(errno));
			break;
		case CINIT_OP_LXCFS:
			ci_op_lxcfs();
			break;
		case CINIT_OP_HOST_MOUNT:
			ci_op_host_mount();
			break;
		case CINIT_OP_OPEN_ROOT:
			ci_op_open_root();
			break;
		case CINIT_OP_MOUNT:
			ci_op_mount();
			break;
		case CINIT_OP_CGROUP:
			ci_op_cgroup();
			break;
		case CINIT_OP_MKNOD:
			ci_op_mknod();
			break;
		case CINIT_OP_SYMLINK:
			ci_op_symlink();
			break;
		case CINIT_OP_MKDIR: {
			const char *p = ci_str();
			ci_mkdir_all("make cwd: ", p, 0);
			break;
		}
		case CINIT_OP_CONSOLE:
			ci_op_console();
			break;
		case CINIT_OP_HOOKS:
			op_hooks();
			break;
		case CINIT_OP_WRITE_PROC:
			ci_op_write_proc();
			break;
		case CINIT_OP_KEYRING:
			// Kernels without keyrings (or denied) go without.
			syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, ci_str());
			break;
		case CINIT_OP_PIVOT:
			if (ci_rootfd >= 0)
				close(ci_rootfd);
			ci_rootfd = -1;
			ci_op_pivot();
			break;
		case CINIT_OP_SYSCTL:
			ci_op_sysctl();
			break;
		case CINIT_OP_MASK:
			ci_op_mask();
			break;
		case CINIT_OP_READONLY:
			ci_op_readonly();
			break;
		case CINIT_OP_ROOT_RO:
			if (ci_remount("/", MS_RDONLY) < 0)
				ci_die("make root read-only: remount: %s", ci_errstr(errno));
			break;
		case CINIT_OP_PROPAGATE:
			if (mount("", "/", "", ci_num(), "") < 0)
				ci_die("set rootfs propagation: %s", ci_errstr(errno));
			break;
		case CINIT_OP_HOSTNAME: {
			uint32_t l;
			const char *h = ci_str_len(&l);
			if (sethostname(h, l) < 0)
				ci_die("set hostname: %s", ci_errstr(errno));
			break;
		}
		case CINIT_OP_DOMAINNAME: {
			uint32_t l;
			const char *d = ci_str_len(&l);
			if (setdomainname(d, l) < 0)
				ci_die("set domainname: %s", ci_errstr(errno));
			break;
		}
		case CINIT_OP_START:
			ci_op_start();
			return;
		case CINIT_OP_NEXT:
			read_part(); // the strings of the last part stay valid
			break;
		default:
			ci_op_process(op);
		}
	}
}

static void read_part(void)
{
	uint32_t len;
	if (ci_readfull(ci_sfd, &len, sizeof(len)) < 0)
		_exit(1); // the parent went away (it reports why)
	char *buf = malloc((size_t)len + 1);
	if (buf == NULL || ci_readfull(ci_sfd, buf, len) < 0)
		ci_die("cinit: read plan: %s", ci_errstr(errno));
	plan = buf, pend = buf + len;
}

// cinit runs the plan if the parent chose the C init; it returns only if
// it did not.
void cinit(void)
{
	const char *env = getenv(CINIT_ENV);
	if (env == NULL)
		return;
	ci_sfd = atoi(env);
	fcntl(ci_sfd, F_SETFD, FD_CLOEXEC);
	// The name Status reads as "created" until execve renames us
	// (runtime.initComm, the plan's first string).
	read_part();
	const char *comm = ci_str();
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	run();
	_exit(1);
}
