package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
	// overlayPrefix xattrs are overlayfs's own metadata: a layer must not
	// be able to forge them (redirects, opaque dirs) through xattrs.
	overlayPrefix = "trusted.overlay."
)

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// MaxSize caps the bytes of file content unpacked (0: 1 TiB), so a
	// hostile archive cannot fill the disk.
	MaxSize int64
}

// Apply unpacks the uncompressed layer tar r into dir (an empty snapshot
// directory), turning whiteouts into overlayfs's form: ".wh.x" becomes a
// 0/0 character device x and ".wh..wh..opq" the trusted.overlay.opaque
// xattr on its directory. It returns the bytes of file content written.
// On error dir holds a partial layer that the caller must remove.
func Apply(ctx context.Context, dir string, r io.Reader, opts ApplyOptions) (int64, error) {
	max := opts.MaxSize
	if max <= 0 {
		max = 1 << 40
	}
	root, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", dir, err)
	}
	defer unix.Close(root)
	// An archive announcing more content than the disk has free fails at
	// once rather than after filling the disk.
	var sfs unix.Statfs_t
	if unix.Fstatfs(root, &sfs) == nil {
		if free := int64(sfs.Bavail) * sfs.Bsize; free > 0 && free < max {
			max = free
		}
	}
	a := &applier{root: root, dir: dir, dirTimes: map[string]time.Time{}}
	tr := tar.NewReader(r)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return total, fmt.Errorf("truncated archive: %w", err)
			}
			return total, fmt.Errorf("read archive: %w", err)
		}
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA {
			if hdr.Size < 0 || total+hdr.Size > max {
				return total, fmt.Errorf("%w: %s: archive larger than the %d byte limit (or the free disk space)", ErrUnsafe, hdr.Name, max)
			}
		}
		n, err := a.entry(hdr, tr)
		total += n
		if err != nil {
			return total, err
		}
	}
	// Directory times last: creating their entries changed them.
	for p, t := range a.dirTimes {
		a.utimes(p, t)
	}
	return total, nil
}

type applier struct {
	root     int
	dir      string
	dirTimes map[string]time.Time
}

// cleanName validates an entry name and returns it relative ("a/b"), or ""
// for the root itself.
func cleanName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%w: %q: absolute path", ErrUnsafe, name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("%w: %q: path contains ..", ErrUnsafe, name)
		}
	}
	if strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: %q: NUL in path", ErrUnsafe, name)
	}
	c := path.Clean(name)
	if c == "." {
		return "", nil
	}
	return c, nil
}

// openParent opens the directory holding rel, creating missing parents,
// without following any symlink.
func (a *applier) openParent(rel string) (int, string, error) {
	dirPart, base := path.Split(rel)
	dirPart = strings.TrimSuffix(dirPart, "/")
	if dirPart == "" {
		fd, err := unix.Dup(a.root)
		return fd, base, err
	}
	how := &unix.OpenHow{Flags: unix.O_DIRECTORY | unix.O_RDONLY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	fd, err := unix.Openat2(a.root, dirPart, how)
	if err == unix.ENOENT {
		if err := a.mkdirAll(dirPart); err != nil {
			return -1, "", err
		}
		fd, err = unix.Openat2(a.root, dirPart, how)
	}
	if err == unix.ELOOP || err == unix.EXDEV || err == unix.ENOTDIR {
		return -1, "", fmt.Errorf("%w: %q: parent is a symlink or not a directory", ErrUnsafe, rel)
	}
	if err != nil {
		return -1, "", fmt.Errorf("open parent of %s: %w", rel, err)
	}
	return fd, base, nil
}

func (a *applier) mkdirAll(rel string) error {
	cur := a.root
	own := false
	defer func() {
		if own {
			unix.Close(cur)
		}
	}()
	for _, part := range strings.Split(rel, "/") {
		if err := unix.Mkdirat(cur, part, 0o755); err != nil && err != unix.EEXIST {
			return fmt.Errorf("mkdir %s: %w", rel, err)
		}
		fd, err := unix.Openat(cur, part, unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("%w: %q: parent is a symlink or not a directory", ErrUnsafe, rel)
		}
		if own {
			unix.Close(cur)
		}
		cur, own = fd, true
	}
	return nil
}

func (a *applier) entry(hdr *tar.Header, r io.Reader) (int64, error) {
	rel, err := cleanName(hdr.Name)
	if err != nil {
		return 0, err
	}
	base := path.Base(rel)
	if rel != "" && strings.HasPrefix(base, whiteoutPrefix) {
		return 0, a.whiteout(rel, base)
	}
	if rel == "" {
		if hdr.Typeflag == tar.TypeDir {
			return 0, a.meta(a.root, "", hdr, "")
		}
		return 0, fmt.Errorf("%w: root entry is not a directory", ErrUnsafe)
	}
	pfd, name, err := a.openParent(rel)
	if err != nil {
		return 0, err
	}
	defer unix.Close(pfd)
	// A later entry replaces an earlier one, except dir over dir.
	var st unix.Stat_t
	if unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
		if !(hdr.Typeflag == tar.TypeDir && st.Mode&unix.S_IFMT == unix.S_IFDIR) {
			if err := removeAt(pfd, name); err != nil {
				return 0, fmt.Errorf("replace %s: %w", rel, err)
			}
		}
	}
	var n int64
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(pfd, name, 0o700); err != nil && err != unix.EEXIST {
			return 0, fmt.Errorf("mkdir %s: %w", rel, err)
		}
	case tar.TypeReg, tar.TypeRegA:
		fd, err := unix.Openat(pfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return 0, fmt.Errorf("create %s: %w", rel, err)
		}
		f := os.NewFile(uintptr(fd), rel)
		n, err = io.CopyN(f, r, hdr.Size)
		if err != nil {
			f.Close()
			if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
				return n, fmt.Errorf("truncated archive: %s: %d of %d bytes", rel, n, hdr.Size)
			}
			return n, fmt.Errorf("write %s: %w", rel, err)
		}
		if err := f.Close(); err != nil {
			return n, fmt.Errorf("write %s: %w", rel, err)
		}
	case tar.TypeSymlink:
		if hdr.Linkname == "" {
			return 0, fmt.Errorf("%w: %q: empty symlink target", ErrUnsafe, rel)
		}
		// Stored verbatim and never followed here; inside a container it
		// resolves within the container's root.
		if err := unix.Symlinkat(hdr.Linkname, pfd, name); err != nil {
			return 0, fmt.Errorf("symlink %s: %w", rel, err)
		}
	case tar.TypeLink:
		target, err := cleanName(hdr.Linkname)
		if err != nil || target == "" {
			return 0, fmt.Errorf("%w: hardlink %q to %q leads outside the layer", ErrUnsafe, rel, hdr.Linkname)
		}
		tfd, tname, err := a.openParentNoCreate(target)
		if err != nil {
			return 0, fmt.Errorf("%w: hardlink %q to %q: %v", ErrUnsafe, rel, hdr.Linkname, err)
		}
		err = unix.Linkat(tfd, tname, pfd, name, 0)
		unix.Close(tfd)
		if err != nil {
			return 0, fmt.Errorf("hardlink %s to %s: %w", rel, target, err)
		}
		return 0, nil // the target carries the metadata
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		mode := uint32(unix.S_IFIFO)
		switch hdr.Typeflag {
		case tar.TypeChar:
			mode = unix.S_IFCHR
		case tar.TypeBlock:
			mode = unix.S_IFBLK
		}
		dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
		if err := unix.Mknodat(pfd, name, mode|0o600, dev); err != nil {
			return 0, fmt.Errorf("mknod %s: %w", rel, err)
		}
	case tar.TypeXGlobalHeader:
		return 0, nil
	default:
		return 0, fmt.Errorf("%w: %q: unsupported entry type %q", ErrUnsafe, rel, hdr.Typeflag)
	}
	return n, a.meta(pfd, name, hdr, rel)
}

func (a *applier) openParentNoCreate(rel string) (int, string, error) {
	dirPart, base := path.Split(rel)
	dirPart = strings.TrimSuffix(dirPart, "/")
	if dirPart == "" {
		fd, err := unix.Dup(a.root)
		return fd, base, err
	}
	fd, err := unix.Openat2(a.root, dirPart, &unix.OpenHow{Flags: unix.O_DIRECTORY | unix.O_RDONLY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		return -1, "", fmt.Errorf("target not in this layer: %w", err)
	}
	return fd, base, nil
}

func (a *applier) whiteout(rel, base string) error {
	pfd, _, err := a.openParent(rel)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	if base == whiteoutOpaque {
		p := "/proc/self/fd/" + strconv.Itoa(pfd)
		if err := unix.Setxattr(p, "trusted.overlay.opaque", []byte("y"), 0); err != nil {
			return fmt.Errorf("mark %s opaque: %w", path.Dir(rel), err)
		}
		return nil
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("%w: %q: bad whiteout", ErrUnsafe, rel)
	}
	if err := removeAt(pfd, name); err != nil {
		return fmt.Errorf("whiteout %s: %w", rel, err)
	}
	if err := unix.Mknodat(pfd, name, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("whiteout %s: %w", rel, err)
	}
	return nil
}

// removeAt removes name in dir fd, recursively for a directory.
func removeAt(dfd int, name string) error {
	err := unix.Unlinkat(dfd, name, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return err
	}
	fd, err := unix.Openat(dfd, name, unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), name)
	names, _ := f.Readdirnames(-1)
	for _, n := range names {
		if err := removeAt(fd, n); err != nil {
			f.Close()
			return err
		}
	}
	f.Close()
	return unix.Unlinkat(dfd, name, unix.AT_REMOVEDIR)
}

// meta applies ownership, xattrs (file capabilities included), mode and
// times, in that order: chown clears setuid bits and capabilities.
func (a *applier) meta(pfd int, name string, hdr *tar.Header, rel string) error {
	flags := unix.AT_SYMLINK_NOFOLLOW
	if name == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	if err := unix.Fchownat(pfd, name, hdr.Uid, hdr.Gid, flags); err != nil {
		return fmt.Errorf("chown %s: %w", rel, err)
	}
	p := "/proc/self/fd/" + strconv.Itoa(pfd)
	if name != "" {
		p += "/" + name
	}
	for k, v := range hdr.PAXRecords {
		x, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok || strings.HasPrefix(x, overlayPrefix) {
			continue
		}
		if err := unix.Lsetxattr(p, x, []byte(v), 0); err != nil {
			if err == unix.ENOTSUP && !strings.HasPrefix(x, "security.") {
				continue
			}
			return fmt.Errorf("set xattr %s on %s: %w", x, rel, err)
		}
	}
	if hdr.Typeflag != tar.TypeSymlink {
		mode := uint32(hdr.Mode & 0o7777)
		if err := unix.Fchmodat(pfd, nameOrDot(name), mode, 0); err != nil {
			return fmt.Errorf("chmod %s: %w", rel, err)
		}
	}
	if hdr.Typeflag == tar.TypeDir {
		a.dirTimes[rel] = hdr.ModTime
		return nil
	}
	ts := []unix.Timespec{unix.NsecToTimespec(hdr.AccessTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
	if hdr.AccessTime.IsZero() {
		ts[0] = ts[1]
	}
	unix.UtimesNanoAt(pfd, name, ts, unix.AT_SYMLINK_NOFOLLOW)
	return nil
}

func nameOrDot(n string) string {
	if n == "" {
		return "."
	}
	return n
}

func (a *applier) utimes(rel string, t time.Time) {
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	if rel == "" {
		unix.UtimesNanoAt(a.root, ".", ts, 0)
		return
	}
	fd, base, err := a.openParentNoCreate(rel)
	if err != nil {
		return
	}
	unix.UtimesNanoAt(fd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
	unix.Close(fd)
}
