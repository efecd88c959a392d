package nsexec

/*
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

// The last reference to a mount namespace, dropped by close, unmounts its
// tree and waits for an RCU grace period (0.2-1 ms here) in the closing
// thread: a thread of its own, outside Go's scheduler, so that the caller
// goes on at once. The process's exit waits for it.
static void *jinn_closer(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

static void jinn_close_async(int fd)
{
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, jinn_closer, (void *)(intptr_t)fd) != 0)
		close(fd);
	pthread_attr_destroy(&a);
}
*/
import "C"

// CloseAsync closes fd on a new thread and returns at once: for a
// namespace's last reference, whose release waits in the kernel (see
// runtime.Created.MountNS). The process's exit waits for the close.
func CloseAsync(fd int) { C.jinn_close_async(C.int(fd)) }
