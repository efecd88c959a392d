package monitor

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ParentEnv holds the pid of the CLI that starts the monitor.
const ParentEnv = "JINN_MONITOR_PARENT"

// parentGone returns a channel that is closed when the process that
// started the monitor (the engine's CLI) has exited. A monitor waiting
// for an attached CLI's start request uses it to give up at once when
// that CLI was killed, rather than after a timeout during which the
// container looks alive ("created" with a monitor) and a `rm -f` waits for
// it. Where pidfds are missing (Linux before 5.3) the channel never closes.
func parentGone() <-chan struct{} {
	ch := make(chan struct{})
	ppid := os.Getppid()
	// The engine names itself: a CLI killed before we got here has left
	// us to init or to a subreaper, whose pid is not 1 and never exits.
	want := os.Getenv(ParentEnv)
	os.Unsetenv(ParentEnv)
	if want != "" && want != strconv.Itoa(ppid) {
		close(ch)
		return ch
	}
	f, err := pidfdOpen(ppid)
	if err == nil && os.Getppid() != ppid {
		// The pid was the parent's when read, not when opened: it died
		// and we were reparented, so the fd may name another process.
		f.Close()
		err = unix.ESRCH
	}
	if err == unix.ESRCH || ppid == 1 {
		close(ch)
		return ch
	}
	if err != nil {
		return ch
	}
	go func() {
		waitExit(f)
		close(ch)
	}()
	return ch
}
