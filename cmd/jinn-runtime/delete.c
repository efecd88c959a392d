// `jinn-runtime delete ID` of a container whose init is gone, served in an
// ELF constructor before the Go runtime starts: the engine's monitor and
// containerd's shim run one after every container's exit, and a Go start
// of this binary is ~2-3 ms of its ~5 ms. The Go create leaves on the
// container's directory what such a delete does (internal/runtime/
// deleteplan.go, cgroups.DeletePlan), as text lines in the extended
// attribute trusted.jinn.delete, so this code reads no JSON and decides
// nothing the Go code has not:
//
//	jinn-delete 1      the format's version
//	init PID START     the init, with its start time (/proc/PID/stat's 22nd)
//	rm DIR             the container's cgroup on one hierarchy: rmdir
//	xattr NAME         the mark of a parent cgroup jinn made
//	up                 starts one mount's walk up through the parents:
//	own DIR            removed if empty (jinn's parent, or below it)
//	made DIR           the same if it bears the mark, else the walk ends
//	end
//
// Anything else returns into Go, which deletes as it always did (same
// results, same errors): no plan (poststop hooks, mounts of the runtime's
// own namespace, a systemd cgroup, a state written before plans), an init
// that still runs (--force kills it; without, Go refuses), a cgroup rmdir
// refuses (processes or children left), a flag or form of the command line
// this code does not know, a user other than root, a missing container.
// With the init gone, --force changes nothing, so it is served here too:
// it is how the engine's monitor calls delete.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "jinnc.h"

#define PLAN_XATTR "trusted.jinn.delete" /* deleteplan.go: deletePlanXattr */
#define PLAN_MAGIC "jinn-delete 1"       /* deleteplan.go: deletePlanMagic */
#define MAX_LINES 1024

struct args {
	const char *root, *log, *id;
};

// valid_id is runtime.ValidateID: letters, digits and _+-., not "." or
// "..", at most 1024 bytes.
int valid_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("_+-.", *p)))
			return 0;
	return 1;
}

// valid_parent is cgroups.ValidParent's verdict (the Go setup checks the
// parent, from --cgroup-parent or the environment, on every command).
int valid_parent(const char *p)
{
	if (*p == 0 || strpbrk(p, ":\n") != NULL)
		return 0;
	int named = 0;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 0;
		if (n > 0 && !(n == 1 && s[0] == '.'))
			named = 1;
		s += n;
		if (*s == '/')
			s++;
	}
	return named;
}

// global_flags reads runc's global flags before the command, those the C
// stages can take (the others change nothing they do): it returns the
// command's index, -1 for anything else (--debug, --systemd-cgroup,
// --help, an unknown flag: Go's).
int global_flags(int argc, char **argv, struct global *g)
{
	static const char *valued[] = {"root", "log", "log-format", "cgroup-parent", "criu", "rootless"};
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strncmp(argv[i], "--", 2) != 0)
			return -1;
		const char *name = argv[i] + 2, *eq = strchr(name, '='), *v;
		size_t n = eq ? (size_t)(eq - name) : strlen(name), k = 0;
		for (; k < sizeof valued / sizeof valued[0]; k++)
			if (strlen(valued[k]) == n && strncmp(valued[k], name, n) == 0)
				break;
		if (k == sizeof valued / sizeof valued[0])
			return -1;
		if (eq)
			v = eq + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			return -1;
		if (k == 0)
			g->root = v;
		else if (k == 1)
			g->log = v;
		else if (k == 2 && strcmp(v, "text") != 0 && strcmp(v, "json") != 0)
			return -1;
		else if (k == 2)
			g->logfmt = v;
		else if (k == 3)
			g->parent = v;
	}
	return i < argc ? i : -1;
}

// parse accepts runc's form "[global flags] delete [--force|-f] ID"; it
// says 0 if this code can serve it.
static int parse(int argc, char **argv, struct args *a)
{
	struct global g = {.root = a->root};
	int i = global_flags(argc, argv, &g);
	const char *parent = g.parent ? g.parent : getenv("JINN_CGROUP_PARENT"); /* cgroups.ParentEnv */
	a->root = g.root, a->log = g.log;
	if (i < 0 || strcmp(argv[i], "delete") != 0)
		return -1;
	for (i++; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
			continue;
		if (argv[i][0] == '-' || a->id != NULL)
			return -1;
		a->id = argv[i];
	}
	if (a->id == NULL || !valid_id(a->id) || a->root[0] == 0)
		return -1;
	if (parent != NULL && !valid_parent(parent))
		return -1;
	return 0;
}

// init_gone says 1 if the init has exited (no such pid, a zombie, or
// another process under its pid: runtime.procAlive), 0 if it runs, -1 if
// /proc cannot tell.
static int init_gone(long pid, unsigned long long start)
{
	if (pid <= 0)
		return 1;
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? 1 : -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return errno == ESRCH ? 1 : -1;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return -1;
	char state = p[2];
	p += 2;
	for (int f = 0; f < 19; f++) { /* the start time is the 20th field after ")" */
		p = strchr(p, ' ');
		if (p == NULL)
			return -1;
		p++;
	}
	char *end;
	unsigned long long s = strtoull(p, &end, 10);
	if (end == p)
		return -1;
	return s != start || state == 'Z' || state == 'X';
}

// rmdir_if_empty is cgroups' rmdirIfEmpty: a child removed a moment ago
// may hold the parent briefly (EBUSY); retry then, unless another cgroup
// is below it (kernfs counts subdirectories in the link count; a file
// system that does not is not retried).
static void rmdir_if_empty(const char *dir)
{
	struct timespec d = {0, 1000000};
	for (int i = 0; i < 10; i++) {
		if (rmdir(dir) == 0 || errno != EBUSY)
			return;
		struct stat st;
		if (stat(dir, &st) < 0 || st.st_nlink != 2)
			return;
		nanosleep(&d, NULL);
		d.tv_nsec *= 2;
		if (d.tv_nsec >= 1000000000) {
			d.tv_sec += d.tv_nsec / 1000000000;
			d.tv_nsec %= 1000000000;
		}
	}
}

static int has_prefix(const char *s, const char *p, const char **rest)
{
	size_t n = strlen(p);
	if (strncmp(s, p, n) != 0)
		return 0;
	*rest = s + n;
	return 1;
}

// run_plan checks the whole plan and the init, then removes the cgroups;
// it says -1 to leave the delete to Go (which redoes what was done: an
// rmdir of a cgroup that is gone is no error there either).
int run_plan(char *plan)
{
	char *lines[MAX_LINES], *save = NULL;
	int n = 0;
	for (char *l = strtok_r(plan, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (n == MAX_LINES)
			return -1;
		lines[n++] = l;
	}
	if (n < 3 || strcmp(lines[0], PLAN_MAGIC) != 0 || strcmp(lines[n - 1], "end") != 0)
		return -1;
	const char *v;
	long pid;
	unsigned long long start;
	char tail;
	if (!has_prefix(lines[1], "init ", &v) || sscanf(v, "%ld %llu%c", &pid, &start, &tail) != 2)
		return -1;
	for (int i = 2; i < n - 1; i++)
		if (!has_prefix(lines[i], "rm /", &v) && !has_prefix(lines[i], "xattr ", &v) &&
		    strcmp(lines[i], "up") != 0 && !has_prefix(lines[i], "own /", &v) &&
		    !has_prefix(lines[i], "made /", &v))
			return -1;
	if (init_gone(pid, start) != 1)
		return -1;

	const char *mark = NULL;
	int walking = 0;
	for (int i = 2; i < n - 1; i++) {
		const char *l = lines[i], *dir = NULL;
		if (has_prefix(l, "rm ", &dir)) {
			if (rmdir(dir) < 0 && errno != ENOENT)
				return -1;
		} else if (has_prefix(l, "xattr ", &v)) {
			mark = v;
		} else if (strcmp(l, "up") == 0) {
			walking = 1;
		} else if (walking) {
			char b;
			if (has_prefix(l, "made ", &dir) && (mark == NULL || getxattr(dir, mark, &b, 1) < 0)) {
				walking = 0;
				continue;
			}
			has_prefix(l, "own ", &dir);
			rmdir_if_empty(dir);
			// Still there (in use): its parents are too.
			struct stat st;
			if (stat(dir, &st) == 0)
				walking = 0;
		}
	}
	return 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(p) : unlink(p)) < 0 && errno != ENOENT ? -1 : 0;
}

// remove_state is runtime.removeStateDir: in the common case state.json is
// all that is left (and the exec fifo of a container never started).
int remove_state(int dfd, const char *dir)
{
	unlinkat(dfd, "exec.fifo", 0);
	unlinkat(dfd, "state.json", 0);
	if (rmdir(dir) == 0 || errno == ENOENT)
		return 0;
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

// trace, when JINN_DELETE_TRACE names a file, appends the id there: the
// tests' proof that the C delete served a command.
static void trace(const char *id)
{
	const char *f = getenv("JINN_DELETE_TRACE");
	if (f == NULL || *f == 0)
		return;
	int fd = open(f, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	dprintf(fd, "%s\n", id);
	close(fd);
}

__attribute__((constructor)) static void jinn_delete(int argc, char **argv, char **envp)
{
	(void)envp;
	struct args a = {.root = "/run/jinn-runtime"}; /* ocicli.defaultRoot for root */
	if (argc < 3 || parse(argc, argv, &a) < 0 || geteuid() != 0)
		return;
	if (a.log != NULL && *a.log != 0) {
		/* Go's setup opens (makes) the log first; a failure is its to report. */
		int fd = open(a.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return;
		close(fd);
	}
	char dir[PATH_MAX];
	if ((size_t)snprintf(dir, sizeof dir, "%s/%s", a.root, a.id) >= sizeof dir)
		return;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	static char plan[65536];
	struct stat st;
	ssize_t n;
	if (flock(dfd, LOCK_EX) < 0 || (n = fgetxattr(dfd, PLAN_XATTR, plan, sizeof plan - 1)) <= 0 ||
	    fstatat(dfd, "state.json", &st, AT_SYMLINK_NOFOLLOW) < 0)
		goto go;
	plan[n] = 0;
	if (run_plan(plan) < 0)
		goto go;
	if (remove_state(dfd, dir) < 0) {
		dprintf(2, "remove state: %s: %s\n", dir, strerror(errno));
		_exit(1);
	}
	trace(a.id);
	_exit(0);
go:
	close(dfd); /* and its lock: the Go delete takes it again */
}
