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
// directory's descriptor without following it (O_PATH|O_NOFOLLOW), its
// type is read on that descriptor, and only a regular file or a directory
// is then reopened from it. Whatever is swapped in, the walk stays in the
// tree and never opens a FIFO or a device.

func write(ctx context.Context, dir string, w io.Writer, diff bool) error {
	tw := tar.NewWriter(w)
	links := map[[2]uint64]string{}
	err := walk(dir, func(e *entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		st := &e.node.St
		if diff && isWhiteout(st) {
			d, b := path.Split(e.rel)
			return tw.WriteHeader(&tar.Header{Name: d + whiteoutPrefix + b, Typeflag: tar.TypeReg,
				Mode: 0o600, ModTime: mtime(st), Format: tar.FormatPAX})
		}
		hdr, err := NodeHeader(e.node, e.rel)
		if hdr == nil || err != nil {
			return err // sockets cannot be archived (docker skips them too)
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
		for k, v := range xattrs(e.dir, e.name) {
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
			f, err := e.node.Reopen()
			if err != nil {
				return fmt.Errorf("%s: %w", e.rel, err)
			}
			err = tw.WriteHeader(hdr)
			if err == nil {
				err = CopyExactly(tw, f, hdr.Size)
			}
			f.Close()
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
	st := &n.St
	h := &tar.Header{Name: name, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: mtime(st), Format: tar.FormatPAX}
	switch n.Type() {
	case unix.S_IFREG:
		h.Typeflag, h.Size = tar.TypeReg, st.Size
	case unix.S_IFDIR:
		h.Typeflag, h.Name = tar.TypeDir, strings.TrimSuffix(name, "/")+"/"
	case unix.S_IFLNK:
		link, err := n.Readlink()
		if err != nil {
			return nil, err
		}
		h.Typeflag, h.Linkname = tar.TypeSymlink, link
	case unix.S_IFCHR, unix.S_IFBLK:
		h.Typeflag = tar.TypeChar
		if n.Type() == unix.S_IFBLK {
			h.Typeflag = tar.TypeBlock
		}
		h.Devmajor, h.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		h.Typeflag = tar.TypeFifo
	default:
		return nil, nil
	}
	return h, nil
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
// there, its path in the tree and its node (O_PATH, not followed).
type entry struct {
	dir  int
	name string
	rel  string
	node *fsroot.Node
}

// walk calls fn for every entry under dir in lexical order, parents first,
// going from directory descriptor to directory descriptor. An entry gone
// or swapped for a non-directory meanwhile is skipped, not followed.
func walk(dir string, fn func(*entry) error) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	d := os.NewFile(uintptr(fd), dir)
	defer d.Close()
	return walkDir(d, "", fn)
}

func walkDir(d *os.File, rel string, fn func(*entry) error) error {
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read %s: %w", rel, err)
	}
	sort.Strings(names)
	for _, n := range names {
		r := n
		if rel != "" {
			r = rel + "/" + n
		}
		node, err := fsroot.NodeAt(int(d.Fd()), n)
		if errors.Is(err, unix.ENOENT) {
			continue // removed meanwhile
		}
		if err != nil {
			return fmt.Errorf("%s: %w", r, err)
		}
		err = fn(&entry{dir: int(d.Fd()), name: n, rel: r, node: node})
		if err == nil && node.Type() == unix.S_IFDIR {
			var sub *os.File
			if sub, err = node.Reopen(); err == nil {
				err = walkDir(sub, r, fn)
				sub.Close()
			}
		}
		node.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// xattrs reads name's extended attributes, name not followed, through its
// parent directory's descriptor.
func xattrs(dir int, name string) map[string]string {
	p := "/proc/self/fd/" + strconv.Itoa(dir) + "/" + name
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(p, buf)
	if err != nil || n == 0 {
		return nil
	}
	out := map[string]string{}
	for _, k := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		v := make([]byte, 64<<10)
		m, err := unix.Lgetxattr(p, k, v)
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
		case isWhiteout(&e.node.St):
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
