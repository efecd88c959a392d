package build

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Root is a directory tree that paths are resolved inside of with openat2,
// never by joining strings: a symlink in an image or a context cannot lead
// a write or a read out of it.
type Root struct {
	fd      int
	path    string
	resolve uint64 // RESOLVE_IN_ROOT for image roots, RESOLVE_BENEATH for contexts
}

// OpenRoot opens dir as a root. beneath makes any escape an error instead of
// clamping it to the root (contexts: a symlink out is a user error).
func OpenRoot(dir string, beneath bool) (*Root, error) {
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

func clean(rel string) string {
	return strings.TrimLeft(path.Clean("/"+rel), "/")
}

// open resolves rel inside the root.
func (r *Root) open(rel string, flags uint64, mode uint64) (int, error) {
	rel = clean(rel)
	if rel == "" {
		rel = "."
	}
	fd, err := unix.Openat2(r.fd, rel, &unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Mode: mode, Resolve: r.resolve})
	if errors.Is(err, unix.EXDEV) {
		return -1, fmt.Errorf("%s: path leaves the root (symlink or .. pointing outside)", rel)
	}
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: rel, Err: err}
	}
	return fd, nil
}

// Open opens a file for reading, following symlinks inside the root.
func (r *Root) Open(rel string) (*os.File, error) {
	fd, err := r.open(rel, unix.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path.Join(r.path, clean(rel))), nil
}

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
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(dir, base, buf)
	if err != nil {
		return "", &os.PathError{Op: "readlink", Path: rel, Err: err}
	}
	return string(buf[:n]), nil
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
	rel = clean(rel)
	dir, base := path.Split(rel)
	fd, err := r.open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	return fd, base, err
}

// Owner is a file's owner; -1 keeps the default.
type Owner struct{ UID, GID int }

// MkdirAll makes rel and its missing parents; only new ones get mode and owner.
func (r *Root) MkdirAll(rel string, mode os.FileMode, own *Owner) error {
	rel = clean(rel)
	if rel == "" {
		return nil
	}
	cur := ""
	for _, part := range strings.Split(rel, "/") {
		cur = path.Join(cur, part)
		st, err := r.Stat(cur)
		if err == nil {
			if st.Mode&unix.S_IFMT != unix.S_IFDIR {
				return fmt.Errorf("mkdir %s: %s is not a directory", rel, cur)
			}
			continue
		}
		dir, base, err := r.parent(cur)
		if err != nil {
			return err
		}
		err = unix.Mkdirat(dir, base, uint32(mode.Perm()))
		if err == nil {
			err = unix.Fchmodat(dir, base, uint32(mode.Perm()), 0)
		}
		if err == nil && own != nil {
			err = unix.Fchownat(dir, base, own.UID, own.GID, unix.AT_SYMLINK_NOFOLLOW)
		}
		unix.Close(dir)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return &os.PathError{Op: "mkdir", Path: cur, Err: err}
		}
	}
	return nil
}

// removeNonDir clears the way for a new entry: a file or symlink in the way
// is replaced, a directory is kept (docker merges into it).
func removeNonDir(dir int, base string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dir, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return nil
	}
	return unix.Unlinkat(dir, base, 0)
}

// WriteFile creates or replaces the regular file rel with data.
func (r *Root) WriteFile(rel string, data io.Reader, mode os.FileMode, own *Owner, mtime int64) error {
	dir, base, err := r.parent(rel)
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	if base == "" {
		return fmt.Errorf("write %s: is the root directory", rel)
	}
	if err := removeNonDir(dir, base); err != nil {
		return &os.PathError{Op: "replace", Path: rel, Err: err}
	}
	fd, err := unix.Openat(dir, base, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(mode.Perm()))
	if err != nil {
		return &os.PathError{Op: "create", Path: rel, Err: err}
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	if _, err := io.Copy(f, data); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return finish(fd, mode, own, mtime)
}

// finish sets mode (with setuid bits), owner and mtime on an open file.
func finish(fd int, mode os.FileMode, own *Owner, mtime int64) error {
	if own != nil {
		if err := unix.Fchown(fd, own.UID, own.GID); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	if err := unix.Fchmod(fd, unixMode(mode)); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if mtime > 0 {
		ts := []unix.Timespec{{Sec: mtime}, {Sec: mtime}}
		unix.UtimesNanoAt(fd, "", ts, unix.AT_EMPTY_PATH)
	}
	return nil
}

func unixMode(m os.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		u |= unix.S_ISUID
	}
	if m&os.ModeSetgid != 0 {
		u |= unix.S_ISGID
	}
	if m&os.ModeSticky != 0 {
		u |= unix.S_ISVTX
	}
	return u
}

// Symlink creates or replaces the symlink rel -> target.
func (r *Root) Symlink(rel, target string, own *Owner) error {
	dir, base, err := r.parent(rel)
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	if err := removeNonDir(dir, base); err != nil {
		return err
	}
	if err := unix.Symlinkat(target, dir, base); err != nil {
		return &os.PathError{Op: "symlink", Path: rel, Err: err}
	}
	if own != nil {
		unix.Fchownat(dir, base, own.UID, own.GID, unix.AT_SYMLINK_NOFOLLOW)
	}
	return nil
}

// Link creates the hard link rel to the existing oldRel, both in the root.
func (r *Root) Link(oldRel, rel string) error {
	odir, obase, err := r.parent(oldRel)
	if err != nil {
		return err
	}
	defer unix.Close(odir)
	dir, base, err := r.parent(rel)
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	if err := removeNonDir(dir, base); err != nil {
		return err
	}
	if err := unix.Linkat(odir, obase, dir, base, 0); err != nil {
		return &os.PathError{Op: "link", Path: rel, Err: err}
	}
	return nil
}

// SetAttr sets mode and owner on an existing directory (after its contents
// are written, so a read-only mode doesn't block them).
func (r *Root) SetAttr(rel string, mode os.FileMode, own *Owner, mtime int64) error {
	fd, err := r.open(rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return finish(fd, mode, own, mtime)
}

// Remove unlinks a file (not a directory) inside the root.
func (r *Root) Remove(rel string) error {
	dir, base, err := r.parent(rel)
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	if err := unix.Unlinkat(dir, base, 0); err != nil {
		return &os.PathError{Op: "remove", Path: rel, Err: err}
	}
	return nil
}
