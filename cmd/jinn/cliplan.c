// `jinn run --rm` of an eligible command line, served in jinn's ELF
// constructor before the Go runtime starts, from the plan that two Go runs
// of the same command line rendered alike (internal/cliplan: what the Go
// path wrote, at the engine's seams, with holes for the per-run values).
// Go decides everything: this code reads no JSON and knows no record
// format; it checks the plan's key and replays its ops (replay.c).
//
// Anything unusual before the first write returns into Go, which runs the
// command as if this code were not there: plans off (JINN_CLI_PLAN_DIR
// empty or relative; unset is /run/jinn-cli-plans), not root, no plan for this argv, a plan not proved,
// a plan directory or file that someone other than root could have
// written, a key that no longer holds (argv, the environment, this
// binary, the monitor's and runtime's, the boot, the mount namespace,
// the image store's and snapshot index's files, the host's resolv.conf
// and hosts), an op it does not know.
#define _GNU_SOURCE
#include "cliplan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct run R = {.snapfd = -1, .conn = -1, .sync_fd = -1};

static const char magic[] = "jinn-cli-plan 1";

void trace(const char *fmt, ...)
{
	const char *t = getenv("JINN_CLI_PLAN_TRACE"); /* cliplan.TraceEnv */
	if (!t || t[0] != '/')
		return;
	int fd = open(t, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	char b[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof b - 2)
		n = sizeof b - 2;
	b[n++] = '\n';
	if (write(fd, b, n) < 0) {
	}
	close(fd);
}

void set_hole(int h, const char *v)
{
	free(R.hole[h]);
	R.hole[h] = strdup(v);
	if (!R.hole[h])
		abort();
}

static int is_marker(unsigned char c)
{
	return (c >= HoleID && c <= HoleMonBoot) || c == HoleEvSec || c == HoleEvNano || c == HoleSnapTm || c == HoleSig;
}

char *fill(const struct arg *a, size_t *len)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++) {
		unsigned char c = a->p[i];
		if (!is_marker(c))
			n++;
		else if (!R.hole[c])
			return NULL;
		else
			n += strlen(R.hole[c]);
	}
	char *out = malloc(n + 1), *o = out;
	if (!out)
		abort();
	for (size_t i = 0; i < a->n; i++) {
		unsigned char c = a->p[i];
		if (is_marker(c)) {
			size_t l = strlen(R.hole[c]);
			memcpy(o, R.hole[c], l);
			o += l;
		} else
			*o++ = c;
	}
	*o = 0;
	if (len)
		*len = n;
	return out;
}

// now_rfc3339 is the time as Go's time.RFC3339Nano writes a UTC time:
// the fraction without its trailing zeros, none if it is zero.
void now_rfc3339(char *out, size_t len, int64_t *ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ns)
		*ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (ts.tv_nsec) {
		char f[16];
		snprintf(f, sizeof f, ".%09ld", ts.tv_nsec);
		for (int i = 9; f[i] == '0'; i--)
			f[i] = 0;
		n += snprintf(out + n, len - n, "%s", f);
	}
	snprintf(out + n, len - n, "Z");
}

// owned_ok: a directory or file only root may have written.
static int owned_ok(int fd, mode_t type)
{
	struct stat st;
	return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_uid == 0 && (st.st_mode & 022) == 0;
}

static char *joined(char **v, size_t *n, int skip_);

// load reads the plan file of this argv and environment (cliplan.File:
// FNV-64a of the args, each ended by a NUL, then of the environment
// without "_") through no symlink.
static char *load(int argc, char **argv, char **envp, size_t *len)
{
	const char *dir = getenv("JINN_CLI_PLAN_DIR"); /* cliplan.DirEnv */
	if (!dir)
		dir = "/run/jinn-cli-plans"; /* cliplan.DirDefault */
	if (dir[0] != '/')
		return NULL;
	uint64_t h = 14695981039346656037ULL;
	for (int i = 1; i < argc; i++)
		for (const unsigned char *p = (const unsigned char *)argv[i];; p++) {
			h ^= *p;
			h *= 1099511628211ULL;
			if (!*p)
				break;
		}
	size_t en;
	char *env = joined(envp, &en, 1);
	for (size_t i = 0; i < en; i++) {
		h ^= (unsigned char)env[i];
		h *= 1099511628211ULL;
	}
	free(env);
	char name[32];
	snprintf(name, sizeof name, "run-%016llx", (unsigned long long)h);
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return NULL;
	int fd = -1;
	if (owned_ok(dfd, S_IFDIR))
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	else
		trace("c-run miss: plan dir not root's alone");
	close(dfd);
	if (fd < 0)
		return NULL;
	struct stat st;
	char *b = NULL;
	if (owned_ok(fd, S_IFREG) && fstat(fd, &st) == 0 && st.st_size < (64 << 20)) {
		b = malloc(st.st_size + 1);
		if (b && read(fd, b, st.st_size) == st.st_size) {
			b[st.st_size] = 0;
			*len = st.st_size;
		} else {
			free(b);
			b = NULL;
		}
	} else
		trace("c-run miss: plan file not root's alone");
	close(fd);
	return b;
}

// parse_ops reads n bytes of encoded ops (cliplan.Encode).
static int parse_ops(char *p, size_t n, struct op **out, int *nout)
{
	char *end = p + n;
	int cap = 64, k = 0;
	struct op *ops = calloc(cap, sizeof *ops);
	while (p < end) {
		char *nl = memchr(p, '\n', end - p);
		int nargs;
		if (!nl || k == 4096)
			return -1;
		*nl = 0;
		char *sp = strchr(p, ' ');
		if (!sp || sp - p >= 16 || (nargs = atoi(sp + 1)) < 0 || nargs > 64)
			return -1;
		if (k == cap)
			ops = realloc(ops, (cap *= 2) * sizeof *ops);
		struct op *o = &ops[k++];
		memset(o, 0, sizeof *o);
		memcpy(o->kind, p, sp - p);
		o->nargs = nargs;
		o->args = calloc(nargs ? nargs : 1, sizeof *o->args);
		p = nl + 1;
		for (int i = 0; i < nargs; i++) {
			nl = memchr(p, '\n', end - p);
			if (!nl)
				return -1;
			*nl = 0;
			long l = atol(p);
			p = nl + 1;
			if (l < 0 || l >= end - p || p[l] != '\n')
				return -1;
			p[l] = 0; /* each argument a C string too */
			o->args[i].p = p;
			o->args[i].n = l;
			p += l + 1;
		}
	}
	*out = ops;
	*nout = k;
	return 0;
}

// section is the body of "NAME LEN\n" at *p; *p moves past it.
static char *section(char **p, char *end, const char *name, size_t *n)
{
	size_t l = strlen(name);
	if (end - *p < (long)l + 2 || strncmp(*p, name, l) || (*p)[l] != ' ')
		return NULL;
	char *nl = memchr(*p, '\n', end - *p);
	if (!nl)
		return NULL;
	long v = atol(*p + l + 1);
	char *body = nl + 1;
	if (v < 0 || v > end - body)
		return NULL;
	*n = v;
	*p = body + v;
	return body;
}

static int same(const struct arg *a, const char *s, size_t n) { return a->n == n && memcmp(a->p, s, n) == 0; }

// joined is v's strings each followed by a NUL but the last; with
// skip_, without "_" (cliplan.KeyEnv).
static char *joined(char **v, size_t *n, int skip_)
{
	size_t l = 0;
	for (char **s = v; *s; s++)
		l += strlen(*s) + 1;
	char *b = malloc(l + 1), *o = b;
	for (char **s = v; *s; s++) {
		if (skip_ && !strncmp(*s, "_=", 2))
			continue;
		size_t m = strlen(*s);
		memcpy(o, *s, m);
		o += m;
		*o++ = 0;
	}
	*n = o > b ? (size_t)(o - b) - 1 : 0;
	return b;
}

// key_holds checks one fact of the key (cliplan.Recorder.Key).
static int key_holds(struct op *k, char **argv, char **envp)
{
	size_t n;
	char *j = NULL;
	int ok = 0;
	if (!strcmp(k->kind, "argv") && k->nargs == 1) {
		j = joined(argv + 1, &n, 0);
		ok = same(&k->args[0], j, n);
	} else if (!strcmp(k->kind, "env") && k->nargs == 1) {
		j = joined(envp, &n, 1);
		ok = same(&k->args[0], j, n);
	} else if (!strcmp(k->kind, "stat") && k->nargs == 5) {
		struct stat st;
		char b[128];
		if (stat(k->args[0].p, &st) == 0) {
			long long mt = (long long)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
			int m;
			ok = 1;
			m = snprintf(b, sizeof b, "%llu", (unsigned long long)st.st_dev), ok &= same(&k->args[1], b, m);
			m = snprintf(b, sizeof b, "%llu", (unsigned long long)st.st_ino), ok &= same(&k->args[2], b, m);
			m = snprintf(b, sizeof b, "%lld", (long long)st.st_size), ok &= same(&k->args[3], b, m);
			m = snprintf(b, sizeof b, "%lld", mt), ok &= same(&k->args[4], b, m);
		}
	} else if (!strcmp(k->kind, "file") && k->nargs == 2) {
		int fd = open(k->args[0].p, O_RDONLY | O_CLOEXEC);
		char b[4096];
		ssize_t r = fd >= 0 ? read(fd, b, sizeof b) : -1;
		ok = r >= 0 && same(&k->args[1], b, r);
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(k->kind, "link") && k->nargs == 2) {
		char b[256];
		ssize_t r = readlink(k->args[0].p, b, sizeof b);
		ok = r > 0 && same(&k->args[1], b, r);
	}
	free(j);
	if (!ok)
		trace("c-run miss: key %s %s", k->kind, k->nargs > 1 ? k->args[0].p : "");
	return ok;
}

// serve is the C run, if this command line has a plan that holds; it
// returns (into Go) only before the first write.
static void serve(int argc, char **argv, char **envp)
{
	size_t len;
	char *b = load(argc, argv, envp, &len), *end = b + len, *p = b;
	if (!b)
		return;
	char *nl = memchr(p, '\n', len);
	if (!nl || nl - p != (long)strlen(magic) || memcmp(p, magic, nl - p)) {
		trace("c-run miss: not a plan");
		return;
	}
	p = nl + 1;
	if (strncmp(p, "proved\n", 7)) {
		trace("c-run miss: plan not proved");
		return;
	}
	p += 7;
	size_t kn, on;
	char *kb = section(&p, end, "key", &kn), *ob = kb ? section(&p, end, "ops", &on) : NULL;
	struct plan key, plan;
	if (!ob || parse_ops(kb, kn, &key.ops, &key.nops) < 0 || parse_ops(ob, on, &plan.ops, &plan.nops) < 0) {
		trace("c-run miss: bad plan");
		return;
	}
	for (int i = 0; i < key.nops; i++)
		if (!key_holds(&key.ops[i], argv, envp))
			return;
	for (int i = 0; i < plan.nops; i++)
		if (!known_op(plan.ops[i].kind)) {
			trace("c-run miss: op %s", plan.ops[i].kind);
			return;
		}
	// The values known from the start: the id, the pid, the time.
	unsigned char rnd[32];
	if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
		return;
	char id[65], t[64];
	for (int i = 0; i < 32; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	set_hole(HoleID, id);
	id[12] = 0;
	set_hole(HoleID12, id);
	snprintf(t, sizeof t, "%d", (int)getpid());
	set_hole(HolePid, t);
	now_rfc3339(t, sizeof t, NULL);
	set_hole(HoleCreated, t);
	trace("c-run serve %s", R.hole[HoleID]);
	int code = replay(&plan);
	if (code < 0) {
		// Into Go as if this code were not there (what it wrote is
		// undone): the signals' dispositions as they came.
		restore_signals();
		return;
	}
	trace("c-run exit %d", code);
	exit(code);
}

__attribute__((constructor)) static void jinn_cli_run(int argc, char **argv, char **envp)
{
	// Only a run (`run` among the first arguments: the global flags come
	// before it) is looked up; every other command goes to Go at once.
	int run = 0;
	for (int i = 1; i < argc && i < 8; i++)
		run |= !strcmp(argv[i], "run");
	if (argc < 4 || !run || geteuid() != 0)
		return;
	serve(argc, argv, envp);
}
