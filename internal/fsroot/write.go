package fsroot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Owner is a file's owner; -1 keeps the default.
type Owner struct{ UID, GID int }

// MkdirAll makes rel and its missing parents; only new ones get mode and
// owner. A dangling symlink on the way gets its target made, resolved
// inside the root (a mount target under an image's symlinked directory).
func (r *Root) MkdirAll(rel string, mode os.FileMode, own *Owner) error {
	return r.mkdirAll(rel, mode, own, 0)
}

func (r *Root) mkdirAll(rel string, mode os.FileMode, own *Owner, depth int) error {
	if depth > 40 {
		return &os.PathError{Op: "mkdir", Path: rel, Err: unix.ELOOP}
	}
	rel = Clean(rel)
	if rel == "" {
		return nil
	}
	// Most targets exist (an image's /proc, /dev, /sys): one lookup.
	if st, err := r.Stat(rel); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
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
			err = fixNewDir(dir, base, mode, own)
		}
		var target string
		if errors.Is(err, unix.EEXIST) {
			target, _ = readlinkAt(dir, base)
		}
		unix.Close(dir)
		if target != "" { // a dangling symlink: make what it points to
			if !path.IsAbs(target) {
				target = path.Join("/", path.Dir(cur), target)
			}
			if err := r.mkdirAll(target, mode, own, depth+1); err != nil {
				return err
			}
			continue
		}
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return &os.PathError{Op: "mkdir", Path: cur, Err: err}
		}
	}
	return nil
}

func readlinkAt(dir int, base string) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(dir, base, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// MkFile makes an empty file rel (a bind-mount target) and its parents;
// an existing file or directory is left as it is.
func (r *Root) MkFile(rel string) error {
	if err := r.MkdirAll(path.Dir(Clean(rel)), 0o755, nil); err != nil {
		return err
	}
	fd, err := r.open(rel, unix.O_CREAT|unix.O_RDONLY|unix.O_NOFOLLOW, 0)
	if errors.Is(err, unix.EISDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

// Parent makes rel's parent directories and opens the last one: for the
// *at syscalls that make rel itself (mknod, symlink). It returns the
// descriptor and rel's last name.
func (r *Root) Parent(rel string) (int, string, error) {
	rel = Clean(rel)
	if err := r.MkdirAll(path.Dir(rel), 0o755, nil); err != nil {
		return -1, "", err
	}
	return r.parent(rel)
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
	if err := unix.Fchmod(fd, UnixMode(mode)); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if mtime > 0 {
		ts := []unix.Timespec{{Sec: mtime}, {Sec: mtime}}
		unix.UtimesNanoAt(fd, "", ts, unix.AT_EMPTY_PATH)
	}
	return nil
}

// UnixMode is m as chmod takes it, setuid, setgid and sticky bits included.
func UnixMode(m os.FileMode) uint32 {
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

// fixNewDir sets the mode (past the umask) and owner of a directory just
// made, through an fd of it: by name, fchmodat follows a symlink that
// something sharing the directory (a volume's other user) put there
// meanwhile, to a file anywhere on the host.
func fixNewDir(dir int, base string, mode os.FileMode, own *Owner) error {
	fd, err := unix.Openat(dir, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, uint32(mode.Perm())); err != nil {
		return err
	}
	if own != nil {
		return unix.Fchown(fd, own.UID, own.GID)
	}
	return nil
}
