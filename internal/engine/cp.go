package engine

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// CopyTo extracts a tar stream into dst inside the container's root
// filesystem. Every entry's parent is resolved inside the root (openat2
// RESOLVE_IN_ROOT) and the entry is made relative to that directory fd, so
// neither "..", absolute names nor symlinks in the container can escape.
func (e *Local) CopyTo(ctx context.Context, ref, dst string, r io.Reader) error {
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	if err := e.mountRootfs(c); err != nil {
		return err
	}
	root := e.rootPath(c)
	d, err := openInRoot(root, dst, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return exitErr(ExitEngine, "Could not find the file %s in container %s", dst, c.Name)
	}
	d.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return exitErr(ExitEngine, "read archive: %v", err)
		}
		name := filepath.Clean("/" + h.Name)
		if name == "/" {
			continue
		}
		full := filepath.Join(dst, name)
		parent, err := openInRoot(root, filepath.Dir(full), unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return exitErr(ExitEngine, "copy %s: %v", h.Name, err)
		}
		err = writeEntry(int(parent.Fd()), filepath.Base(full), h, tr)
		parent.Close()
		if err != nil {
			return exitErr(ExitEngine, "copy %s: %v", h.Name, err)
		}
	}
}

func writeEntry(dfd int, base string, h *tar.Header, r io.Reader) error {
	mode := uint32(h.Mode & 0o7777)
	switch h.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(dfd, base, mode); err != nil && !errors.Is(err, unix.EEXIST) {
			return err
		}
	case tar.TypeReg:
		unix.Unlinkat(dfd, base, 0)
		fd, err := unix.Openat(dfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
		if err != nil {
			return err
		}
		f := os.NewFile(uintptr(fd), base)
		_, err = io.Copy(f, r)
		f.Close()
		if err != nil {
			return err
		}
	case tar.TypeSymlink:
		unix.Unlinkat(dfd, base, 0)
		if err := unix.Symlinkat(h.Linkname, dfd, base); err != nil {
			return err
		}
	default:
		return nil // devices, hard links, fifos: not copied
	}
	unix.Fchownat(dfd, base, h.Uid, h.Gid, unix.AT_SYMLINK_NOFOLLOW)
	if h.Typeflag != tar.TypeSymlink {
		unix.Fchmodat(dfd, base, mode, 0)
	}
	return nil
}

// CopyFrom writes src (a file or directory inside the container) as a tar
// stream; the walk stays inside the root.
func (e *Local) CopyFrom(ctx context.Context, ref, src string, w io.Writer) error {
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	if err := e.mountRootfs(c); err != nil {
		return err
	}
	root := e.rootPath(c)
	f, err := openInRoot(root, src, unix.O_RDONLY|unix.O_NOFOLLOW)
	if err != nil && errors.Is(err, unix.ELOOP) {
		f, err = openInRoot(root, src, unix.O_PATH|unix.O_NOFOLLOW)
	}
	if err != nil {
		return exitErr(ExitEngine, "Could not find the file %s in container %s", src, c.Name)
	}
	tw := tar.NewWriter(w)
	base := filepath.Base(filepath.Clean("/" + src))
	if base == "/" {
		base = "."
	}
	err = addTar(tw, f, base)
	f.Close()
	if err != nil {
		return exitErr(ExitEngine, "copy %s: %v", src, err)
	}
	return tw.Close()
}

// addTar adds f (opened inside the root) and, for a directory, its
// children by fd, never by host path.
func addTar(tw *tar.Writer, f *os.File, name string) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return err
	}
	h := &tar.Header{Name: name, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: timeOf(st.Mtim)}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		buf := make([]byte, 4096)
		n, err := unix.Readlinkat(int(f.Fd()), "", buf)
		if err != nil {
			return err
		}
		h.Typeflag, h.Linkname = tar.TypeSymlink, string(buf[:n])
		return tw.WriteHeader(h)
	case unix.S_IFREG:
		h.Typeflag, h.Size = tar.TypeReg, st.Size
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := io.CopyN(tw, f, st.Size)
		return err
	case unix.S_IFDIR:
		h.Typeflag, h.Name = tar.TypeDir, strings.TrimSuffix(name, "/")+"/"
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		names, err := f.Readdirnames(-1)
		if err != nil {
			return err
		}
		for _, n := range names {
			fd, err := unix.Openat(int(f.Fd()), n, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
			if errors.Is(err, unix.ELOOP) {
				fd, err = unix.Openat(int(f.Fd()), n, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			}
			if err != nil {
				continue
			}
			cf := os.NewFile(uintptr(fd), n)
			err = addTar(tw, cf, filepath.Join(name, n))
			cf.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	return nil
}

var _ = fmt.Sprintf
