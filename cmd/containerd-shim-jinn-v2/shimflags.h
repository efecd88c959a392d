// The shim's flags as containerd writes them (Go's flag syntax: -name
// value, -name=value, one or two dashes; -debug alone), for the commands
// answered before Go starts (quickdelete.c, startfork.c).
#ifndef JINN_SHIMFLAGS_H
#define JINN_SHIMFLAGS_H

#include <string.h>

struct shim_flags {
	const char *ns, *id, *bundle, *address, *publish;
	int debug;
};

static int shim_flag_is(const char *a, size_t n, const char *name)
{
	return strlen(name) == n && strncmp(a, name, n) == 0;
}

// parse_shim_flags reads argv[1..argc-2] (argv[argc-1] is the command):
// 0 if any is not one of the flags above (Go then parses them).
static int parse_shim_flags(int argc, char **argv, struct shim_flags *f)
{
	memset(f, 0, sizeof *f);
	for (int i = 1; i < argc - 1; i++) {
		const char *a = argv[i];
		if (a[0] != '-')
			return 0;
		a += a[1] == '-' ? 2 : 1;
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		if (shim_flag_is(a, n, "debug") && !eq) {
			f->debug = 1;
			continue;
		}
		const char *v = eq ? eq + 1 : (i + 2 < argc ? argv[++i] : NULL);
		if (v == NULL)
			return 0;
		if (shim_flag_is(a, n, "namespace"))
			f->ns = v;
		else if (shim_flag_is(a, n, "id"))
			f->id = v;
		else if (shim_flag_is(a, n, "bundle"))
			f->bundle = v;
		else if (shim_flag_is(a, n, "address"))
			f->address = v;
		else if (shim_flag_is(a, n, "publish-binary"))
			f->publish = v;
		else
			return 0;
	}
	return 1;
}

#endif
