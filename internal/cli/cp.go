package cli

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// cp copies between a container and the host: CONTAINER:SRC DEST or
// SRC CONTAINER:DEST. The container side is always resolved inside its root.
func newCpCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n  jinn cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
		Short: "Copy files/folders between a container and the local filesystem",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			ctx := c.Context()
			srcC, srcP, srcIn := splitCp(args[0])
			dstC, dstP, dstIn := splitCp(args[1])
			switch {
			case srcIn && dstIn:
				return badFlag("copying between containers is not supported")
			case srcIn:
				if dstP == "-" {
					return e.CopyFrom(ctx, srcC, srcP, c.OutOrStdout())
				}
				pr, pw := io.Pipe()
				errc := make(chan error, 1)
				go func() { errc <- e.CopyFrom(ctx, srcC, srcP, pw); pw.Close() }()
				xerr := extractTar(pr, dstP, filepath.Base(filepath.Clean("/"+srcP)))
				pr.CloseWithError(io.EOF)
				if err := <-errc; err != nil {
					return err
				}
				return xerr
			case dstIn:
				if srcP == "-" {
					return e.CopyTo(ctx, dstC, dstP, os.Stdin)
				}
				return copyHostTo(ctx, e, srcP, dstC, dstP)
			}
			return badFlag("must specify at least one container source")
		},
	}
}

func splitCp(s string) (ctr, path string, inContainer bool) {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return "", s, false
	}
	if i := strings.Index(s, ":"); i > 0 {
		return s[:i], s[i+1:], true
	}
	return "", s, false
}

// copyHostTo tars a host path and extracts it in the container: into
// DEST if DEST is a directory there, else as DEST.
func copyHostTo(ctx context.Context, e interface {
	CopyTo(context.Context, string, string, io.Reader) error
}, src, ctr, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return badFlag("lstat %s: no such file or directory", src)
	}
	pr, pw := io.Pipe()
	// Copy as DEST's base name into DEST's parent unless DEST ends in "/"
	// (or is ".") meaning "into".
	dir, name := filepath.Dir(dst), filepath.Base(dst)
	if strings.HasSuffix(dst, "/") || dst == "." || dst == "/" {
		dir, name = dst, filepath.Base(src)
	}
	go func() {
		tw := tar.NewWriter(pw)
		err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			hname := filepath.Join(name, rel)
			link := ""
			if fi.Mode()&os.ModeSymlink != 0 {
				link, _ = os.Readlink(p)
			}
			h, err := tar.FileInfoHeader(fi, link)
			if err != nil {
				return err
			}
			h.Name = hname
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			if fi.Mode().IsRegular() {
				f, err := os.Open(p)
				if err != nil {
					return err
				}
				_, err = io.Copy(tw, f)
				f.Close()
				return err
			}
			return nil
		})
		_ = info
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	err = e.CopyTo(ctx, ctr, dir, pr)
	pr.Close()
	return err
}

// extractTar writes a container's tar stream to the host at dst: into dst
// if it is a directory, else as dst.
func extractTar(r io.Reader, dst, base string) error {
	into := false
	if st, err := os.Stat(dst); err == nil && st.IsDir() {
		into = true
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return badFlag("read archive: %v", err)
		}
		name := filepath.Clean(h.Name)
		if strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			return badFlag("invalid path in archive: %s", h.Name)
		}
		var target string
		if into {
			target = filepath.Join(dst, name)
		} else {
			rel, _ := filepath.Rel(base, name)
			if rel == "." {
				target = dst
			} else {
				target = filepath.Join(dst, rel)
			}
		}
		if err := noSymlinkParents(dst, target); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, os.FileMode(h.Mode&0o7777)); err != nil {
				return err
			}
		case tar.TypeReg:
			os.Remove(target)
			f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, os.FileMode(h.Mode&0o7777))
			if err != nil {
				return fmt.Errorf("create %s: %w", target, err)
			}
			_, err = io.Copy(f, tr)
			f.Close()
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			os.Remove(target)
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
		case tar.TypeFifo, tar.TypeChar, tar.TypeBlock:
			// Made as what they are, as docker does; never opened.
			kind := map[byte]uint32{tar.TypeFifo: unix.S_IFIFO, tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK}[h.Typeflag]
			os.Remove(target)
			dev := int(unix.Mkdev(uint32(h.Devmajor), uint32(h.Devminor)))
			if err := unix.Mknod(target, kind|uint32(h.Mode&0o7777), dev); err != nil {
				return fmt.Errorf("create %s: %w", target, err)
			}
		}
	}
}

// noSymlinkParents refuses a target whose parents below dst are symlinks:
// an archive from a container must not write through its own symlinks.
func noSymlinkParents(dst, target string) error {
	rel, err := filepath.Rel(dst, filepath.Dir(target))
	if err != nil || rel == "." {
		return nil
	}
	p := dst
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return badFlag("refusing to write %s: %s is a symlink", target, p)
		}
	}
	return nil
}
