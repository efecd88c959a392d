// Package atomicfile is the one way jinn writes a record: every container
// config, engine and runtime state, snapshot and image index, network
// record and pid file goes through Write, so a crash or a full disk leaves
// the old content or the new, never a truncated or half-written file.
//
// It imports only the standard library: the monitor and the runtime use it
// too, and they keep their dependencies (and resident size) small.
package atomicfile

import (
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

var seq atomic.Uint64

// Write writes data to a temporary file beside path, syncs it and renames
// it over path. The temporary name is unique per process and call, so
// concurrent writers never share one; a writer killed midway leaves only a
// ".tmp-" file, never a damaged path.
func Write(path string, data []byte, perm os.FileMode) error {
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-"+
		strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(seq.Add(1), 10))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		// The mode asked for, whatever the umask.
		err = f.Chmod(perm)
	}
	if err == nil {
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
