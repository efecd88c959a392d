// Package atomicfile writes files by rename, so that a reader sees the old
// content or the new, never half of either. Every store in jinn (the
// runtime's state, the monitor's, the engine's records, images, snapshots,
// networks) writes through it.
package atomicfile

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

var seq atomic.Uint64

// WriteFile replaces path with data. The file is not synced: fit for state
// that a crash makes stale anyway (a container's state, pid files).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, false)
}

// WriteFileSync is WriteFile with the data synced before the rename, for
// records that must survive a crash whole (image and snapshot indexes).
func WriteFileSync(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, true)
}

func write(path string, data []byte, perm os.FileMode, sync bool) error {
	// Unique per process and call: writers in other processes hold the
	// store's lock or write other paths, but the name must not collide.
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(seq.Add(1), 10)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// Abandoned says whether name (a directory entry) is the temporary file
// of a write whose process is gone (killed between create and rename):
// NAME.tmpPID-N with no process PID. Cleaners remove such files.
func Abandoned(name string) bool {
	i := strings.LastIndex(name, ".tmp")
	if i < 0 {
		return false
	}
	pid, _, ok := strings.Cut(name[i+len(".tmp"):], "-")
	if n, err := strconv.Atoi(pid); !ok || err != nil || n <= 0 {
		return false
	}
	if pid == strconv.Itoa(os.Getpid()) {
		return false
	}
	_, err := os.Stat("/proc/" + pid)
	return err != nil
}
