package engine

import (
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watch keeps scanning for new log files until stopped, and signals wake
// when the log grew. With inotify a scan follows each rename or creation
// in the container's directory at once (a fast writer rotates every few
// tens of milliseconds, and a file must be opened before max-file more
// rotations delete it), and a write wakes the follower at once instead
// of at its next poll. Without inotify (its limits reached) it scans
// every 10 ms and wake never fires. The returned func stops it and waits
// for it.
func (l *logReader) watch() (stop func(), wake <-chan struct{}) {
	done, quit := make(chan struct{}), make(chan struct{})
	grew := make(chan struct{}, 1)
	var in *os.File
	if !l.poll {
		in = openLogInotify(l.path)
	}
	if in == nil {
		go func() {
			defer close(done)
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-quit:
					return
				case <-t.C:
					l.scan()
				}
			}
		}()
		return func() { close(quit); <-done }, grew
	}
	go func() {
		defer close(done)
		base := filepath.Base(l.path)
		buf := make([]byte, 64*1024)
		for {
			n, err := in.Read(buf)
			if err != nil {
				return // closed by stop
			}
			rescan, grown := false, false
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				off += unix.SizeofInotifyEvent + int(ev.Len)
				if i := strings.IndexByte(string(name), 0); i >= 0 {
					name = name[:i]
				}
				switch {
				case ev.Mask&unix.IN_Q_OVERFLOW != 0:
					rescan, grown = true, true
				case !strings.HasPrefix(string(name), base):
				case ev.Mask&unix.IN_MODIFY != 0:
					grown = true
				default: // created or renamed
					rescan, grown = true, true
				}
			}
			if rescan {
				l.scan()
			}
			if grown {
				select {
				case grew <- struct{}{}:
				default:
				}
			}
			if !rescan {
				// A fast writer writes hundreds of times a second: let its
				// writes gather (the kernel folds a file's queued
				// modifications into one event) and drain them at once.
				time.Sleep(writeGather)
			}
		}
	}()
	return func() { in.Close(); <-done }, grew
}

// writeGather is the most a follower waits after a write to drain what
// followed it: wake-ups per drained write cost more than reading the log.
const writeGather = 10 * time.Millisecond

// openLogInotify watches the log's directory for files created, renamed
// into it and written; nil when inotify is not to be had.
func openLogInotify(path string) *os.File {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Dir(path), unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_MODIFY); err != nil {
		unix.Close(fd)
		return nil
	}
	// Non-blocking, so the runtime's poller waits for it and Close
	// ends a Read in progress.
	return os.NewFile(uintptr(fd), "inotify")
}
