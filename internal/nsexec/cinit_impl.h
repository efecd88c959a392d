// Declarations shared by the C init's files: cinit.c (the plan, errors,
// the op loop), cinit_fs.c (paths inside the rootfs, mounts, devices,
// pivot_root), cinit_exec.c (the process: lookup, credentials,
// capabilities, seccomp, execve). Not for Go: cinit.h is the plan format.
#ifndef JINN_CINIT_IMPL_H
#define JINN_CINIT_IMPL_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>


#ifndef MOUNT_ATTR_RDONLY
struct mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define PATHMAX 4096
#define MAXARGS 1024

#include "cinit.h"

extern int ci_sfd;      // sync socket
extern int ci_fifo_wfd; // exec fifo, once open for writing
extern int ci_rootfd;   // the rootfs (O_PATH), paths inside resolve from it
extern int ci_tty;      // the terminal's slave, -1: none

const char *ci_errstr(int e);
__attribute__((noreturn, format(printf, 1, 2))) void ci_die(const char *fmt, ...);
void ci_send(const char *type);
uint64_t ci_num(void);
const char *ci_str_len(uint32_t *lenp);
const char *ci_str(void);
const char *ci_fdpath(int fd);
void ci_clean(char *out, const char *in);
int ci_readfull(int fd, void *buf, size_t n); // nsexec.c

// cinit_fs.c
int ci_remount(const char *target, unsigned long flags);
void ci_mkdir_all(const char *prefix, const char *rel, int depth);
void ci_op_lxcfs(void);
void ci_op_host_mount(void);
void ci_op_open_root(void);
void ci_op_mount(void);
void ci_op_cgroup(void);
void ci_op_mknod(void);
void ci_op_symlink(void);
void ci_op_pivot(void);
void ci_op_sysctl(void);
void ci_op_mask(void);
void ci_op_readonly(void);
void ci_op_write_proc(void);
void ci_op_console(void);

// cinit_exec.c
void ci_op_process(int op);
__attribute__((noreturn)) void ci_op_start(void);

#endif
