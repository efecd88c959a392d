// The C init's last step (see cinit.c): the process to exec, collected
// from the plan, then runtime.finish's order: rlimits, cwd, user,
// umask, fds, confinement, execve.
#include "cinit_impl.h"

// The process to exec, collected from the ops before CINIT_OP_START.
static struct {
	char *argv[MAXARGS + 1], *envp[MAXARGS + 2];
	int argc, envc;
	struct { const char *name; uint64_t type, soft, hard; } rlim[32];
	int nrlim;
	uint64_t uid, gid, umask;
	gid_t groups[256];
	int ngroups;
	const char *cwd;
	int caps;
	uint64_t last, capset[5]; // bounding, effective, permitted, inheritable, ambient
	struct sock_fprog prog;
	uint64_t seccomp_flags;
	int nnp;
	uint64_t extra, fifo;
} P = {.umask = 022, .fifo = ~0ULL};

// ---- the process (runtime.finish, setUser, confine, caps.Apply) ----

static const char *getenv_in(const char *name)
{
	size_t l = strlen(name);
	for (int i = 0; i < P.envc; i++)
		if (strncmp(P.envp[i], name, l) == 0 && P.envp[i][l] == '=')
			return P.envp[i] + l + 1;
	return NULL;
}

// home is runtime.homeOf: the user's home in the container's /etc/passwd.
static const char *home(void)
{
	static char buf[PATHMAX];
	char line[PATHMAX];
	// Only a regular file is read: an image's /etc/passwd that is a fifo
	// or a device must not hang the init.
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	FILE *f = NULL;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		f = fdopen(fd, "r");
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return "/";
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *fld[7] = {line};
		int n = 1;
		for (char *p = line; *p && n < 7; p++)
			if (*p == ':') {
				*p = 0;
				fld[n++] = p + 1;
			}
		char *end;
		if (n >= 6 && fld[2][0] && strtoull(fld[2], &end, 10) == P.uid && !*end && fld[5][0]) {
			snprintf(buf, sizeof(buf), "%s", fld[5]);
			fclose(f);
			return buf;
		}
	}
	fclose(f);
	return "/";
}

// lookup is runtime.prepareExec: the program in the container's PATH.
static const char *lookup(void)
{
	static char cand[PATHMAX], c[PATHMAX];
	const char *arg0 = P.argv[0];
	struct stat st;
	if (getenv_in("HOME") == NULL) {
		static char h[PATHMAX + 8];
		snprintf(h, sizeof(h), "HOME=%s", home());
		P.envp[P.envc++] = h;
	}
	if (strchr(arg0, '/')) {
		if (stat(arg0, &st) < 0)
			ci_die("exec: \"%s\": %s", arg0, ci_errstr(errno));
		return arg0;
	}
	const char *path = getenv_in("PATH");
	if (path == NULL || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *p = path;;) {
		const char *e = strchr(p, ':');
		int l = e ? (int)(e - p) : (int)strlen(p);
		snprintf(c, sizeof(c), "%.*s/%s", l, p, arg0);
		// filepath.Join: ci_clean, keep a leading "/"
		ci_clean(cand + 1, c);
		cand[0] = '/';
		const char *name = (l > 0 && p[0] == '/') ? cand : cand + 1;
		if (stat(name, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return name;
		if (!e)
			break;
		p = e + 1;
	}
	ci_die("exec: \"%s\": executable file not found in $PATH", arg0);
}

static void capget_set(struct __user_cap_data_struct d[2], int set)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	if (syscall(set ? SYS_capset : SYS_capget, &h, d) < 0)
		ci_die("%s: %s", set ? "capset" : "capget", ci_errstr(errno));
}

// raise_effective copies the permitted set into the effective set.
static void raise_effective(void)
{
	struct __user_cap_data_struct d[2];
	capget_set(d, 0);
	d[0].effective = d[0].permitted;
	d[1].effective = d[1].permitted;
	capget_set(d, 1);
}

static void apply_caps(void)
{
	raise_effective();
	for (uint64_t i = 0; i <= P.last; i++) {
		if (P.capset[0] & (1ULL << i))
			continue;
		int in = prctl(PR_CAPBSET_READ, i, 0, 0, 0);
		if (in < 0)
			ci_die("apply capabilities: read bounding set: %s", ci_errstr(errno));
		if (in && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0)
			ci_die("apply capabilities: drop capability %llu from the bounding set: %s", (unsigned long long)i,
			    ci_errstr(errno));
	}
	struct __user_cap_data_struct d[2] = {
		{.effective = P.capset[1], .permitted = P.capset[2], .inheritable = P.capset[3]},
		{.effective = P.capset[1] >> 32, .permitted = P.capset[2] >> 32, .inheritable = P.capset[3] >> 32},
	};
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	if (syscall(SYS_capset, &h, d) < 0)
		ci_die("apply capabilities: set capabilities (effective %#llx, permitted %#llx, inheritable %#llx): %s",
		    (unsigned long long)P.capset[1], (unsigned long long)P.capset[2], (unsigned long long)P.capset[3],
		    ci_errstr(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		ci_die("apply capabilities: clear ambient capabilities: %s", ci_errstr(errno));
	for (uint64_t i = 0; i <= P.last; i++)
		if (P.capset[4] & (1ULL << i))
			prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0); // as caps.Apply: not permitted+inheritable is no error
}

static void load_seccomp(void)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, P.seccomp_flags, &P.prog) < 0)
		ci_die("load seccomp: seccomp(SET_MODE_FILTER, flags %#llx): %s", (unsigned long long)P.seccomp_flags,
		    ci_errstr(errno));
}

// finish turns this process into the user program (runtime.finish).
__attribute__((noreturn)) static void finish(const char *path)
{
	for (int i = 0; i < P.nrlim; i++) {
		if (P.rlim[i].type == ~0ULL)
			ci_die("unknown rlimit \"%s\"", P.rlim[i].name);
		struct rlimit rl = {.rlim_cur = P.rlim[i].soft, .rlim_max = P.rlim[i].hard};
		if (prlimit(0, P.rlim[i].type, &rl, NULL) < 0)
			ci_die("set %s: %s", P.rlim[i].name, ci_errstr(errno));
	}
	if (ci_tty >= 0) {
		if (setsid() < 0)
			ci_die("setsid: %s", ci_errstr(errno));
		if (ioctl(ci_tty, TIOCSCTTY, 0) < 0)
			ci_die("set controlling terminal: %s", ci_errstr(errno));
		for (int i = 0; i < 3; i++)
			if (dup3(ci_tty, i, 0) < 0)
				ci_die("terminal as fd %d: %s", i, ci_errstr(errno));
	}
	if (P.cwd && P.cwd[0] && chdir(P.cwd) < 0)
		ci_die("chdir to cwd (\"%s\") set in config.json failed: %s", P.cwd, ci_errstr(errno));
	if (syscall(SYS_setgroups, P.ngroups, P.groups) < 0)
		ci_die("setgroups: %s", ci_errstr(errno));
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		ci_die("keep capabilities: %s", ci_errstr(errno));
	// Raw syscalls: this process has one thread, no need for libc's
	// all-threads setxid.
	if (syscall(SYS_setresgid, P.gid, P.gid, P.gid) < 0)
		ci_die("setgid %llu: %s", (unsigned long long)P.gid, ci_errstr(errno));
	if (syscall(SYS_setresuid, P.uid, P.uid, P.uid) < 0)
		ci_die("setuid %llu: %s", (unsigned long long)P.uid, ci_errstr(errno));
	// New ids set dumpability to fs.suid_dumpable, which a host may have
	// at 1: non-dumpable again until execve (nsexec.c, nondumpable).
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		ci_die("set non-dumpable: %s", ci_errstr(errno));
	umask(P.umask);
	// Nothing of the runtime's leaks into the container: everything past
	// the preserved fds closes on execve.
	if (syscall(SYS_close_range, 3 + P.extra, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		ci_die("close fds: %s", ci_errstr(errno));
	// confine: see runtime/confine.go for the order.
	if (P.nnp) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			ci_die("set no_new_privs: %s", ci_errstr(errno));
	} else if (P.prog.len) {
		raise_effective();
		load_seccomp();
	}
	if (P.caps)
		apply_caps();
	if (P.nnp && P.prog.len)
		load_seccomp();
	execve(path, P.argv, P.envp);
	ci_die("exec %s: %s", path, ci_errstr(errno));
}

void ci_op_start(void)
{
	if (P.argc == 0)
		ci_die("cinit: no process args");
	const char *path = lookup();
	ci_send("ready");
	if (P.fifo != ~0ULL) {
		// Blocks until start opens the fifo for reading.
		int fd;
		do
			fd = open(ci_fdpath(P.fifo), O_WRONLY | O_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0)
			ci_die("open exec fifo: %s", ci_errstr(errno));
		// A start killed before it read the byte leaves us a broken
		// pipe: do not run a program nobody started.
		if (write(fd, "", 1) != 1)
			ci_die("write exec fifo: %s", ci_errstr(errno));
		ci_fifo_wfd = fd;
	}
	finish(path);
}

void ci_op_process(int op)
{
	switch (op) {
	case CINIT_OP_ARG:
		if (P.argc >= MAXARGS)
			ci_die("cinit: too many args");
		P.argv[P.argc++] = (char *)ci_str();
		break;
	case CINIT_OP_ENV:
		if (P.envc >= MAXARGS)
			ci_die("cinit: too many env entries");
		P.envp[P.envc++] = (char *)ci_str();
		break;
	case CINIT_OP_RLIMIT:
		if (P.nrlim >= 32)
			ci_die("cinit: too many rlimits");
		P.rlim[P.nrlim].name = ci_str();
		P.rlim[P.nrlim].type = ci_num();
		P.rlim[P.nrlim].soft = ci_num();
		P.rlim[P.nrlim++].hard = ci_num();
		break;
	case CINIT_OP_USER:
		P.uid = ci_num(), P.gid = ci_num(), P.umask = ci_num();
		break;
	case CINIT_OP_GROUP:
		if (P.ngroups >= 256)
			ci_die("cinit: too many groups");
		P.groups[P.ngroups++] = ci_num();
		break;
	case CINIT_OP_CWD:
		P.cwd = ci_str();
		break;
	case CINIT_OP_CAPS:
		P.caps = 1;
		P.last = ci_num();
		for (int i = 0; i < 5; i++)
			P.capset[i] = ci_num();
		break;
	case CINIT_OP_SECCOMP: {
		uint32_t len;
		P.seccomp_flags = ci_num();
		const char *f = ci_str_len(&len);
		if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > 0xffff)
			ci_die("cinit: bad seccomp program");
		// The plan buffer is not aligned for struct sock_filter.
		void *copy = malloc(len);
		if (copy == NULL)
			ci_die("cinit: out of memory");
		memcpy(copy, f, len);
		P.prog.len = len / sizeof(struct sock_filter);
		P.prog.filter = copy;
		break;
	}
	case CINIT_OP_NNP:
		P.nnp = 1;
		break;
	case CINIT_OP_FDS:
		P.extra = ci_num(), P.fifo = ci_num();
		break;
	default:
		ci_die("cinit: unknown op %d", op);
	}
}

