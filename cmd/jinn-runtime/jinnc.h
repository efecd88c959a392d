// What the C stages of cmd/jinn-runtime share: delete.c's checks and its
// delete, which run.c's run ends with.
#ifndef JINN_JINNC_H
#define JINN_JINNC_H

// The global flags the C stages take; parent is set only by the flag.
struct global {
	const char *root, *log, *logfmt, *parent;
};
int global_flags(int argc, char **argv, struct global *g);

int valid_id(const char *id);
int valid_parent(const char *p);
// run_plan checks a delete plan (text, changed in place) and the init,
// then removes the cgroups; -1: leave the delete to Go.
int run_plan(char *plan);
int remove_state(int dfd, const char *dir);

// internal/nsexec/nsexec.c, linked into the same binary.
int ci_readfull(int fd, void *buf, size_t n);

#endif
