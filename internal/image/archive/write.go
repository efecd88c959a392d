package archive

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
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

func write(ctx context.Context, dir string, w io.Writer, diff bool) error {
	tw := tar.NewWriter(w)
	links := map[[2]uint64]string{}
	err := walk(dir, "", func(rel string, fi os.FileInfo) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		full := filepath.Join(dir, rel)
		st := fi.Sys().(*syscall.Stat_t)
		if diff && isWhiteout(fi) {
			d, b := filepath.Split(rel)
			return tw.WriteHeader(&tar.Header{Name: d + whiteoutPrefix + b, Typeflag: tar.TypeReg,
				Mode: 0o600, ModTime: fi.ModTime(), Format: tar.FormatPAX})
		}
		link := ""
		if fi.Mode()&os.ModeSymlink != 0 {
			l, err := os.Readlink(full)
			if err != nil {
				return err
			}
			link = l
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		hdr.Name = rel
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		hdr.Format = tar.FormatPAX
		hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
		if fi.Mode().IsRegular() && st.Nlink > 1 {
			key := [2]uint64{st.Dev, st.Ino}
			if first, ok := links[key]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				links[key] = rel
			}
		}
		opaque := false
		if xs, err := xattrs(full); err == nil {
			for k, v := range xs {
				if strings.HasPrefix(k, overlayPrefix) {
					if k == "trusted.overlay.opaque" && v == "y" {
						opaque = true
					}
					continue
				}
				if hdr.PAXRecords == nil {
					hdr.PAXRecords = map[string]string{}
				}
				hdr.PAXRecords["SCHILY.xattr."+k] = v
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
			f, err := os.OpenFile(full, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			_, err = io.CopyN(tw, f, hdr.Size)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
		}
		if diff && opaque {
			return tw.WriteHeader(&tar.Header{Name: rel + "/" + whiteoutOpaque, Typeflag: tar.TypeReg,
				Mode: 0o600, ModTime: fi.ModTime(), Format: tar.FormatPAX})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func isWhiteout(fi os.FileInfo) bool {
	if fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Rdev == 0
}

// walk calls fn for every entry under dir in lexical order, parents first,
// never following symlinks.
func walk(dir, rel string, fn func(rel string, fi os.FileInfo) error) error {
	f, err := os.Open(filepath.Join(dir, rel))
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		r := n
		if rel != "" {
			r = rel + "/" + n
		}
		fi, err := os.Lstat(filepath.Join(dir, r))
		if err != nil {
			return err
		}
		if err := fn(r, fi); err != nil {
			return err
		}
		if fi.IsDir() {
			if err := walk(dir, r, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func xattrs(p string) (map[string]string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(p, buf)
	if err != nil || n == 0 {
		return nil, err
	}
	out := map[string]string{}
	for _, k := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		v := make([]byte, 4096)
		m, err := unix.Lgetxattr(p, k, v)
		if err != nil {
			continue
		}
		out[k] = string(v[:m])
	}
	return out, nil
}

// Changes lists what an overlay upper dir changes over its lower dirs
// (nearest first), sorted by path, as docker diff shows it.
func Changes(upper string, lowers []string) ([]Change, error) {
	var out []Change
	inLower := func(rel string) bool {
		for _, l := range lowers {
			if _, err := os.Lstat(filepath.Join(l, rel)); err == nil {
				return true
			}
		}
		return false
	}
	err := walk(upper, "", func(rel string, fi os.FileInfo) error {
		p := "/" + rel
		switch {
		case isWhiteout(fi):
			out = append(out, Change{Deleted, p})
		case inLower(rel):
			out = append(out, Change{Modified, p})
		default:
			out = append(out, Change{Added, p})
		}
		return nil
	})
	return out, err
}
