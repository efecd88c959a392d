package shim

import (
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// nsHold keeps a reference to a container init's namespace. The last
// reference to a mount namespace tears its mounts down, and the kernel
// waits for an RCU grace period doing so (0.8-2 ms on this VM); dropped by
// the init's exit, that wait comes before the init turns into a zombie,
// so before its exit reaches containerd. Held here, the exit goes
// straight through, and the teardown happens when the shim lets go, after
// Delete's answer (containerd's CRI deletes a task as soon as it has its
// exit), or nsHoldAfterExit after the exit if no Delete came by then. A
// nil *nsHold holds nothing.
type nsHold struct {
	once sync.Once
	fd   int
}

// nsHoldAfterExit is how long an exited init's mount namespace is held
// for a Delete that has not come.
const nsHoldAfterExit = time.Second

// holdNS opens /proc/PID/ns/NAME of our child pid (not yet reaped, so the
// pid is its); nil if that fails (the init died: nothing to hold).
func holdNS(pid int, name string) *nsHold {
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	return &nsHold{fd: fd}
}

// release drops the reference, once.
func (h *nsHold) release() {
	if h == nil {
		return
	}
	h.once.Do(func() { unix.Close(h.fd) })
}
