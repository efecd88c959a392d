// Package rmtree removes a directory tree with its top-level entries
// removed side by side.
//
// On a file system mounted with discard (this project's CI VM: ext4, no
// journal), every freed block waits for the device: each directory's
// rmdir and each unlink of a file with data sleeps until its discard is
// done. os.RemoveAll waits for them one after another; the waits of
// separate entries overlap here. A container's snapshot (fs, work,
// info.json) and its record directory (config, hosts files, log) are what
// `run --rm` removes on its way out, where these waits were the longest
// part of the end.
package rmtree

import (
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// maxParallel bounds the goroutines (each a thread while its syscall
// blocks) that one call runs.
const maxParallel = 6

// RemoveAll is os.RemoveAll(dir), the entries of dir removed side by
// side (each entry's own subtree in order). Like os.RemoveAll it returns
// nil if dir does not exist.
func RemoveAll(dir string) error {
	// Not through a symlink: os.RemoveAll removes a link, not its target.
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return os.RemoveAll(dir)
	}
	f := os.NewFile(uintptr(fd), dir)
	names, _ := f.Readdirnames(-1)
	f.Close()
	if len(names) > 1 {
		sem := make(chan struct{}, maxParallel)
		var wg sync.WaitGroup
		for _, n := range names[1:] {
			sem <- struct{}{}
			wg.Add(1)
			go func(p string) {
				defer func() { <-sem; wg.Done() }()
				os.RemoveAll(p)
			}(filepath.Join(dir, n))
		}
		os.RemoveAll(filepath.Join(dir, names[0]))
		wg.Wait()
	}
	// What is left (an entry made meanwhile, an error) goes as
	// os.RemoveAll would, and its error is the answer.
	return os.RemoveAll(dir)
}
