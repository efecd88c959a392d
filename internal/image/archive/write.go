package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/fsroot"
)

// WriteDir writes the tree at dir as a tar (docker export of a mounted
// rootfs): ownership, modes, xattrs, hardlinks and devices kept.
func WriteDir(ctx context.Context, dir string, w io.Writer) error {
	return write(ctx, dir, w, false)
}

// WriteDiff writes an overlay upper dir as a layer tar: 0/0 character
// devices become ".wh.<name>" whiteouts and opaque directories get a
// ".wh..wh..opq" entry.
func WriteDiff(ctx context.Context, upper string, w io.Writer) error {
	return write(ctx, upper, w, true)
}

// The tree written is a container's, and the container runs while it is
// read: any directory may become a symlink to / between two syscalls
// (renameat2 RENAME_EXCHANGE in a loop), any file a FIFO or a device node.
// So the walk never resolves a path: each entry is found from its parent
// directory's descriptor without following it, and it runs on a private
// nodev clone of the tree's mount, where opening a device node fails and
// O_NONBLOCK keeps a FIFO from blocking: a plain no-follow openat is then
// safe and costs one syscall. Where no clone can be made, each entry is
// first held by an O_PATH node and typed on it (fsroot.Node), which costs
// two procfs lookups more per file. Whatever is swapped in, the walk stays
// in the tree and never reaches a device.

func write(ctx context.Context, dir string, w io.Writer, diff bool) error {
	tw := tar.NewWriter(w)
	links := map[[2]uint64]string{}
	err := walk(dir, func(e *entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		st := &e.st
		if diff && isWhiteout(st) {
			d, b := path.Split(e.rel)
			return tw.WriteHeader(&tar.Header{Name: d + whiteoutPrefix + b, Typeflag: tar.TypeReg,
				Mode: 0o600, ModTime: mtime(st), Format: tar.FormatPAX})
		}
		var f *os.File
		if st.Mode&unix.S_IFMT == unix.S_IFREG {
			var err error
			if f, err = e.open(); errors.Is(err, errChanged) || errors.Is(err, unix.ENOENT) {
				return nil // swapped or removed meanwhile
			} else if err != nil {
				return fmt.Errorf("%s: %w", e.rel, err)
			}
			defer f.Close()
		}
		link := ""
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			var err error
			if link, err = readlinkAt(e.dir, e.name); err != nil {
				return nil // swapped or removed meanwhile
			}
		}
		hdr := StatHeader(st, e.rel, link)
		if hdr == nil {
			return nil // sockets cannot be archived (docker skips them too)
		}
		if hdr.Typeflag == tar.TypeReg && st.Nlink > 1 {
			key := [2]uint64{st.Dev, st.Ino}
			if first, ok := links[key]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				links[key] = e.rel
			}
		}
		opaque := false
		for k, v := range xattrs(e.dir, e.name, f) {
			if strings.HasPrefix(k, overlayPrefix) {
				opaque = opaque || (k == "trusted.overlay.opaque" && v == "y")
				continue
			}
			if hdr.PAXRecords == nil {
				hdr.PAXRecords = map[string]string{}
			}
			hdr.PAXRecords["SCHILY.xattr."+k] = v
		}
		if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
			err := tw.WriteHeader(hdr)
			if err == nil {
				err = CopyExactly(tw, f, hdr.Size)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", e.rel, err)
			}
		} else if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", e.rel, err)
		}
		if diff && opaque {
			return tw.WriteHeader(&tar.Header{Name: e.rel + "/" + whiteoutOpaque, Typeflag: tar.TypeReg,
				Mode: 0o600, ModTime: mtime(st), Format: tar.FormatPAX})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// NodeHeader is the tar header of the node n named name: FIFOs and device
// nodes as entries of their kind (never opened), nil for a socket (docker
// leaves those out too).
func NodeHeader(n *fsroot.Node, name string) (*tar.Header, error) {
	link := ""
	if n.Type() == unix.S_IFLNK {
		var err error
		if link, err = n.Readlink(); err != nil {
			return nil, err
		}
	}
	return StatHeader(&n.St, name, link), nil
}

// StatHeader is the tar header of a file of stat st named name (link: a
// symlink's target); nil for a socket.
func StatHeader(st *unix.Stat_t, name, link string) *tar.Header {
	h := &tar.Header{Name: name, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: mtime(st), Format: tar.FormatPAX}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		h.Typeflag, h.Size = tar.TypeReg, st.Size
	case unix.S_IFDIR:
		h.Typeflag, h.Name = tar.TypeDir, strings.TrimSuffix(name, "/")+"/"
	case unix.S_IFLNK:
		h.Typeflag, h.Linkname = tar.TypeSymlink, link
	case unix.S_IFCHR, unix.S_IFBLK:
		h.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			h.Typeflag = tar.TypeBlock
		}
		h.Devmajor, h.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		h.Typeflag = tar.TypeFifo
	default:
		return nil
	}
	return h
}

func mtime(st *unix.Stat_t) time.Time { return time.Unix(st.Mtim.Sec, st.Mtim.Nsec) }

// CopyExactly copies size bytes: a file that shrinks while it is read is
// padded with zeros, one that grows is cut, so the archive stays whole.
func CopyExactly(w io.Writer, r io.Reader, size int64) error {
	n, err := io.CopyN(w, r, size)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	_, err = io.CopyN(w, zeros{}, size-n)
	return err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// entry is one file of a walk: its parent directory's descriptor, its name
// there, its path in the tree and its stat (not followed).
type entry struct {
	dir   int
	name  string
	rel   string
	st    unix.Stat_t
	nodev bool // the walk runs on a nodev clone
}

var errChanged = errors.New("changed while it was read")

// open opens a regular file or a directory entry for reading, refusing
// anything else, and anything but the inode that was stat'ed.
func (e *entry) open() (*os.File, error) {
	kind := e.st.Mode & unix.S_IFMT
	if !e.nodev {
		n, err := fsroot.NodeAt(e.dir, e.name)
		if err != nil {
			return nil, err
		}
		defer n.Close()
		if n.St.Ino != e.st.Ino || n.Type() != kind {
			return nil, errChanged
		}
		return n.Reopen()
	}
	flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC
	if kind == unix.S_IFDIR {
		flags |= unix.O_DIRECTORY
	} else if kind != unix.S_IFREG {
		return nil, errChanged
	}
	fd, err := unix.Openat(e.dir, e.name, flags, 0)
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.EACCES) {
		return nil, errChanged // a symlink, a file or a device swapped in
	}
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Ino != e.st.Ino || st.Mode&unix.S_IFMT != kind {
		unix.Close(fd)
		return nil, errChanged
	}
	return os.NewFile(uintptr(fd), e.rel), nil
}

// walk calls fn for every entry under dir in lexical order, parents first,
// going from directory descriptor to directory descriptor. An entry gone
// or swapped meanwhile is skipped, never followed.
func walk(dir string, fn func(*entry) error) error {
	fd, nodev, err := openNodev(dir)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	d := os.NewFile(uintptr(fd), dir)
	defer d.Close()
	return walkDir(d, "", nodev, fn)
}

// openNodev opens dir for listing on a detached nodev clone of its mount
// (gone when the descriptor is closed), or dir itself where that cannot be.
func openNodev(dir string) (int, bool, error) {
	mfd, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err == nil {
		attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOSUID}
		if err = unix.MountSetattr(mfd, "", unix.AT_EMPTY_PATH, attr); err == nil {
			fd, err := unix.Openat(mfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			unix.Close(mfd)
			return fd, err == nil, err
		}
		unix.Close(mfd)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	return fd, false, err
}

func walkDir(d *os.File, rel string, nodev bool, fn func(*entry) error) error {
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read %s: %w", rel, err)
	}
	sort.Strings(names)
	for _, n := range names {
		e := &entry{dir: int(d.Fd()), name: n, rel: n, nodev: nodev}
		if rel != "" {
			e.rel = rel + "/" + n
		}
		if err := unix.Fstatat(e.dir, n, &e.st, unix.AT_SYMLINK_NOFOLLOW); errors.Is(err, unix.ENOENT) {
			continue // removed meanwhile
		} else if err != nil {
			return fmt.Errorf("%s: %w", e.rel, err)
		}
		if err := fn(e); err != nil {
			return err
		}
		if e.st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue
		}
		sub, err := e.open()
		if errors.Is(err, errChanged) || errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", e.rel, err)
		}
		err = walkDir(sub, e.rel, nodev, fn)
		sub.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func readlinkAt(dir int, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dir, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// xattrs reads name's extended attributes, name not followed: on f when
// it is open, else through the parent directory's descriptor.
func xattrs(dir int, name string, f *os.File) map[string]string {
	p := "/proc/self/fd/" + strconv.Itoa(dir) + "/" + name
	list := func(buf []byte) (int, error) { return unix.Llistxattr(p, buf) }
	get := func(k string, v []byte) (int, error) { return unix.Lgetxattr(p, k, v) }
	if f != nil {
		fd := int(f.Fd())
		list = func(buf []byte) (int, error) { return unix.Flistxattr(fd, buf) }
		get = func(k string, v []byte) (int, error) { return unix.Fgetxattr(fd, k, v) }
	}
	buf := make([]byte, 4096)
	n, err := list(buf)
	if err != nil || n == 0 {
		return nil
	}
	out := map[string]string{}
	for _, k := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		v := make([]byte, 64<<10)
		m, err := get(k, v)
		if err != nil {
			continue
		}
		out[k] = string(v[:m])
	}
	return out
}

// Changes lists what an overlay upper dir changes over its lower dirs
// (nearest first), sorted by path, as docker diff shows it. Lower dirs
// are looked in without following a symlink, as overlayfs merges them.
func Changes(upper string, lowers []string) ([]Change, error) {
	var lfds []int
	for _, l := range lowers {
		fd, err := unix.Open(l, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: l, Err: err}
		}
		defer unix.Close(fd)
		lfds = append(lfds, fd)
	}
	inLower := func(rel string) bool {
		how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
		for _, l := range lfds {
			if fd, err := unix.Openat2(l, rel, how); err == nil {
				unix.Close(fd)
				return true
			}
		}
		return false
	}
	var out []Change
	err := walk(upper, func(e *entry) error {
		p := "/" + e.rel
		switch {
		case isWhiteout(&e.st):
			out = append(out, Change{Deleted, p})
		case inLower(e.rel):
			out = append(out, Change{Modified, p})
		default:
			out = append(out, Change{Added, p})
		}
		return nil
	})
	return out, err
}
