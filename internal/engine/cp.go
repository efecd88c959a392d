package engine

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/fsroot"
	"github.com/jinn-containers/jinn/internal/image/archive"
)

// CopyTo extracts a tar stream into dst as the container sees it (its
// volumes, binds and tmpfs included; cpview.go). Every entry's parent is
// resolved inside the root that holds it (openat2 RESOLVE_IN_ROOT) and the
// entry is made relative to that directory fd, so neither "..", absolute
// names nor symlinks in the container can escape.
func (e *Local) CopyTo(ctx context.Context, ref, dst string, r io.Reader) error {
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	if err := cpWritable(c, dst); err != nil {
		return err
	}
	v, err := e.openCpView(c)
	if err != nil {
		return exitErr(ExitEngine, "copy into %s: %v", c.Name, err)
	}
	defer v.Close()
	root, rel := v.locate(dst, true)
	d, err := root.Node(rel, true)
	if err != nil || d.Type() != unix.S_IFDIR {
		if d != nil {
			d.Close()
		}
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
		root, rel := v.locate(filepath.Dir(full), true)
		parent, err := root.OpenFD(rel, unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return exitErr(ExitEngine, "copy %s: %v", h.Name, err)
		}
		err = writeEntry(parent, filepath.Base(full), h, tr)
		unix.Close(parent)
		if err != nil {
			return exitErr(ExitEngine, "copy %s: %v", h.Name, err)
		}
	}
}

// writeEntry makes one entry in the directory dfd. A running container
// can swap what it makes for a symlink at any moment, so owner and mode
// are set on a descriptor of what was made, never through its name.
func writeEntry(dfd int, base string, h *tar.Header, r io.Reader) error {
	mode := uint32(h.Mode & 0o7777)
	var fd int
	var err error
	switch h.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(dfd, base, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return err
		}
		fd, err = unix.Openat(dfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	case tar.TypeReg, tar.TypeRegA:
		unix.Unlinkat(dfd, base, 0)
		fd, err = unix.Openat(dfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err == nil {
			f := os.NewFile(uintptr(fd), base)
			if _, err := io.Copy(f, r); err != nil {
				f.Close()
				return err
			}
			fd, err = unix.Dup(fd)
			f.Close()
		}
	case tar.TypeSymlink:
		unix.Unlinkat(dfd, base, 0)
		if err := unix.Symlinkat(h.Linkname, dfd, base); err != nil {
			return err
		}
		unix.Fchownat(dfd, base, h.Uid, h.Gid, unix.AT_SYMLINK_NOFOLLOW)
		return nil
	case tar.TypeFifo, tar.TypeChar, tar.TypeBlock:
		// Made as what they are, as docker's cp does; never opened.
		kind := map[byte]uint32{tar.TypeFifo: unix.S_IFIFO, tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK}[h.Typeflag]
		unix.Unlinkat(dfd, base, 0)
		dev := int(unix.Mkdev(uint32(h.Devmajor), uint32(h.Devminor)))
		if err := unix.Mknodat(dfd, base, kind|0o600, dev); err != nil {
			return err
		}
		fd, err = unix.Openat(dfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	default:
		return nil // hard links: not copied
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	// fchown/fchmod do not take an O_PATH descriptor; its /proc/self/fd
	// link names exactly the inode it holds.
	p := "/proc/self/fd/" + strconv.Itoa(fd)
	if err := unix.Fchownat(unix.AT_FDCWD, p, h.Uid, h.Gid, 0); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	if err := unix.Fchmodat(unix.AT_FDCWD, p, mode, 0); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	return nil
}

// CopyFrom writes src (a file or directory as the container sees it) as
// a tar stream. Nothing is opened for its contents but regular files and
// directories, after their type is checked on an O_PATH descriptor: a
// FIFO or a device node becomes a tar entry of its kind (as docker's),
// never an open that blocks or reaches a driver.
func (e *Local) CopyFrom(ctx context.Context, ref, src string, w io.Writer) error {
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	v, err := e.openCpView(c)
	if err != nil {
		return exitErr(ExitEngine, "copy from %s: %v", c.Name, err)
	}
	defer v.Close()
	root, rel := v.locate(src, false)
	n, err := root.Node(rel, false)
	if err != nil {
		return exitErr(ExitEngine, "Could not find the file %s in container %s", src, c.Name)
	}
	defer n.Close()
	tw := tar.NewWriter(w)
	base := filepath.Base(filepath.Clean("/" + src))
	if base == "/" {
		base = "."
	}
	if err := v.addTar(ctx, tw, n, base, v.real(src, false)); err != nil {
		return exitErr(ExitEngine, "copy %s: %v", src, err)
	}
	return tw.Close()
}

// addTar adds the node n (container path cpath) and, for a directory, its
// children, each found from its parent's descriptor without following it.
func (v *cpView) addTar(ctx context.Context, tw *tar.Writer, n *fsroot.Node, name, cpath string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h, err := archive.NodeHeader(n, name)
	if h == nil || err != nil {
		return err
	}
	switch n.Type() {
	case unix.S_IFREG:
		f, err := n.Reopen()
		if err != nil {
			return err
		}
		defer f.Close()
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		return archive.CopyExactly(tw, f, h.Size)
	case unix.S_IFDIR:
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		f, err := n.Reopen()
		if err != nil {
			return err
		}
		defer f.Close()
		if onKernelFS(int(f.Fd())) {
			return nil
		}
		names, err := f.Readdirnames(-1)
		if err != nil {
			return err
		}
		sort.Strings(names)
		for _, cn := range names {
			cp := path.Join(cpath, cn)
			var child *fsroot.Node
			if mr, sub, ok := v.mountAt(cp); ok {
				child, err = mr.Node(sub, true)
			} else {
				child, err = fsroot.NodeAt(int(f.Fd()), cn)
			}
			if err != nil {
				continue // gone meanwhile
			}
			err = v.addTar(ctx, tw, child, path.Join(name, cn), cp)
			child.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	return tw.WriteHeader(h) // symlinks, FIFOs, devices: the header is all
}
