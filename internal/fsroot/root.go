// Package fsroot resolves paths inside a directory tree that is someone
// else's: a container's or an image's root, a build context. Every path is
// resolved by the kernel (openat2 RESOLVE_IN_ROOT or RESOLVE_BENEATH, no
// magic links), never by joining strings, so a symlink inside cannot lead
// a read, a write or a mount out of it. The engine, the builder and the
// runtime's container setup all resolve through it.
package fsroot

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Root is a directory tree that paths are resolved inside of.
type Root struct {
	fd      int
	path    string
	resolve uint64 // RESOLVE_IN_ROOT for image roots, RESOLVE_BENEATH for contexts
}

// Open opens dir as a root: ".." and absolute symlinks stop at it, as if
// it were "/". Open a container's root after it is a mount point of its
// own, so that paths resolve on top of the mounts made inside it.
func Open(dir string) (*Root, error) { return open(dir, false) }

// OpenBeneath opens dir as a root that any escape is an error from instead
// of being clamped to it (contexts: a symlink out is a user error).
func OpenBeneath(dir string) (*Root, error) { return open(dir, true) }

func open(dir string, beneath bool) (*Root, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	r := &Root{fd: fd, path: dir, resolve: unix.RESOLVE_IN_ROOT}
	if beneath {
		r.resolve = unix.RESOLVE_BENEATH
	}
	r.resolve |= unix.RESOLVE_NO_MAGICLINKS
	return r, nil
}

// Close releases the root's descriptor.
func (r *Root) Close() error { return unix.Close(r.fd) }

// Path is where the root is on the host (for messages and the runtime).
func (r *Root) Path() string { return r.path }

// Clean makes rel a clean path relative to the root ("" for the root).
func Clean(rel string) string {
	return strings.TrimLeft(path.Clean("/"+rel), "/")
}

// open resolves rel inside the root.
func (r *Root) open(rel string, flags uint64, mode uint64) (int, error) {
	rel = Clean(rel)
	if rel == "" {
		rel = "."
	}
	how := &unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Mode: mode, Resolve: r.resolve}
	fd, err := unix.Openat2(r.fd, rel, how)
	// The kernel asks for a retry when a rename or mount raced the lookup.
	for err == unix.EINTR || err == unix.EAGAIN {
		fd, err = unix.Openat2(r.fd, rel, how)
	}
	if errors.Is(err, unix.EXDEV) {
		return -1, fmt.Errorf("%s: path leaves the root (symlink or .. pointing outside)", rel)
	}
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: rel, Err: err}
	}
	return fd, nil
}

// Open opens a file for reading, following symlinks inside the root.
func (r *Root) Open(rel string) (*os.File, error) { return r.OpenFile(rel, unix.O_RDONLY) }

// OpenFile opens rel with flags (O_PATH, O_NOFOLLOW, ...).
func (r *Root) OpenFile(rel string, flags int) (*os.File, error) {
	fd, err := r.open(rel, uint64(flags), 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path.Join(r.path, Clean(rel))), nil
}

// OpenFD opens rel with flags and returns the raw descriptor (close-on-exec),
// for the mount syscalls that take /proc/self/fd paths.
func (r *Root) OpenFD(rel string, flags uint64) (int, error) { return r.open(rel, flags, 0) }

// Stat follows symlinks inside the root.
func (r *Root) Stat(rel string) (unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := r.open(rel, unix.O_PATH, 0)
	if err != nil {
		return st, err
	}
	defer unix.Close(fd)
	err = unix.Fstat(fd, &st)
	return st, err
}

// Lstat does not follow the last component.
func (r *Root) Lstat(rel string) (unix.Stat_t, error) {
	var st unix.Stat_t
	dir, base, err := r.parent(rel)
	if err != nil {
		return st, err
	}
	defer unix.Close(dir)
	if base == "" {
		err = unix.Fstat(dir, &st)
	} else {
		err = unix.Fstatat(dir, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil {
		return st, &os.PathError{Op: "lstat", Path: rel, Err: err}
	}
	return st, nil
}

// Readlink reads a symlink without following it.
func (r *Root) Readlink(rel string) (string, error) {
	dir, base, err := r.parent(rel)
	if err != nil {
		return "", err
	}
	defer unix.Close(dir)
	target, err := readlinkAt(dir, base)
	if err != nil {
		return "", &os.PathError{Op: "readlink", Path: rel, Err: err}
	}
	return target, nil
}

// ReadDir lists a directory's names.
func (r *Root) ReadDir(rel string) ([]string, error) {
	fd, err := r.open(rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	return f.Readdirnames(-1)
}

// parent opens rel's directory; base is "" for the root itself.
func (r *Root) parent(rel string) (int, string, error) {
	rel = Clean(rel)
	dir, base := path.Split(rel)
	fd, err := r.open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	return fd, base, err
}
