package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Root is an open root filesystem. Every path inside it is resolved by the
// kernel with RESOLVE_IN_ROOT, so a symlink in the image can never point a
// mount or a device node outside the rootfs.
type Root struct {
	fd   int
	Path string // host path, for messages and pivot_root
}

// OpenRoot opens dir as a Root. Call it after dir is a mount point of its
// own, so that paths resolve on top of the mounts made inside it.
func OpenRoot(dir string) (*Root, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open rootfs %s: %w", dir, err)
	}
	return &Root{fd: fd, Path: dir}, nil
}

// Close releases the root's descriptor.
func (r *Root) Close() { unix.Close(r.fd) }

func rel(p string) string {
	p = strings.TrimLeft(filepath.Clean("/"+p), "/")
	if p == "" {
		return "."
	}
	return p
}

// Open resolves p inside the root and opens it with flags.
func (r *Root) Open(p string, flags uint64) (int, error) {
	how := unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	for {
		fd, err := unix.Openat2(r.fd, rel(p), &how)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: filepath.Join(r.Path, rel(p)), Err: err}
		}
		return fd, nil
	}
}

// MkdirAll makes directory p and its parents inside the root.
func (r *Root) MkdirAll(p string, mode uint32) error { return r.mkdirAll(p, mode, 0) }

func (r *Root) mkdirAll(p string, mode uint32, depth int) error {
	if depth > 40 {
		return &os.PathError{Op: "mkdir", Path: p, Err: unix.ELOOP}
	}
	fd, err := r.Open(p, unix.O_PATH|unix.O_DIRECTORY)
	if err == nil {
		unix.Close(fd)
		return nil
	}
	if !errors.Is(err, unix.ENOENT) {
		return err
	}
	p = rel(p)
	parent, name := filepath.Dir(p), filepath.Base(p)
	if parent != p {
		if err := r.mkdirAll(parent, mode, depth+1); err != nil {
			return err
		}
	}
	pfd, err := r.Open(parent, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	err = unix.Mkdirat(pfd, name, mode)
	if err == unix.EEXIST {
		// A dangling symlink: make its target, resolved inside the root.
		buf := make([]byte, 4096)
		n, lerr := unix.Readlinkat(pfd, name, buf)
		if lerr != nil {
			return nil
		}
		target := string(buf[:n])
		if !filepath.IsAbs(target) {
			target = filepath.Join("/", parent, target)
		}
		return r.mkdirAll(target, mode, depth+1)
	}
	if err != nil {
		return fmt.Errorf("mkdir %s: %w", filepath.Join(r.Path, p), err)
	}
	return nil
}

// MkFile makes an empty file p (a bind-mount target) inside the root.
func (r *Root) MkFile(p string) error {
	p = rel(p)
	if err := r.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	fd, err := r.Open(p, unix.O_CREAT|unix.O_RDONLY|unix.O_NOFOLLOW)
	if err != nil && errors.Is(err, unix.EISDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	unix.Close(fd)
	return nil
}

// Parent opens the parent directory of p, returning it and p's last name.
func (r *Root) Parent(p string) (int, string, error) {
	p = rel(p)
	if err := r.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return -1, "", err
	}
	fd, err := r.Open(filepath.Dir(p), unix.O_PATH|unix.O_DIRECTORY)
	return fd, filepath.Base(p), err
}

// fdPath names an open descriptor as a path the mount syscalls follow.
func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }
