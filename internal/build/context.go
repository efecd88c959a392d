package build

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/jinn-containers/jinn/internal/fsroot"
)

// Context is the build context: a directory tree that COPY and ADD read
// from, and the .dockerignore that hides parts of it.
type Context struct {
	Dir        string
	Ignore     *Ignore
	Dockerfile []byte // set when the context itself is a lone Dockerfile (stdin)
	tmp        string // removed by Close
}

// Close removes a context unpacked from a tarball or stdin.
func (c *Context) Close() error {
	if c.tmp != "" {
		return os.RemoveAll(c.tmp)
	}
	return nil
}

// OpenContext reads the context from a directory, a tarball (plain or
// gzip), or "-": stdin carrying a tarball or a lone Dockerfile.
func OpenContext(spec string, stdin io.Reader, tmpDir string) (*Context, error) {
	if spec == "-" {
		return fromStream(stdin, tmpDir, true)
	}
	fi, err := os.Stat(spec)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", spec, err)
	}
	if !fi.IsDir() {
		f, err := os.Open(spec)
		if err != nil {
			return nil, fmt.Errorf("build context: %w", err)
		}
		defer f.Close()
		c, err := fromStream(f, tmpDir, false)
		if err != nil {
			return nil, fmt.Errorf("build context %s: %w", spec, err)
		}
		return c, nil
	}
	dir, err := filepath.Abs(spec)
	if err != nil {
		return nil, err
	}
	c := &Context{Dir: dir}
	return c, c.loadIgnore()
}

// loadIgnore reads .dockerignore if it is a regular file in the context
// (a FIFO or a link out of it is an error, never a hang or a host file).
func (c *Context) loadIgnore() error {
	root, err := fsroot.OpenBeneath(c.Dir)
	if err != nil {
		return err
	}
	defer root.Close()
	data, err := root.ReadRegular(".dockerignore", 16<<20)
	if errors.Is(err, os.ErrNotExist) {
		c.Ignore = &Ignore{}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read .dockerignore: %w", err)
	}
	c.Ignore, err = ParseIgnore(bytes.NewReader(data))
	return err
}

func fromStream(r io.Reader, tmpDir string, dockerfileOK bool) (*Context, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(512)
	var tr *tar.Reader
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		tr = tar.NewReader(gz)
	case len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar")):
		tr = tar.NewReader(br)
	case dockerfileOK:
		data, err := io.ReadAll(br)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		dir, err := os.MkdirTemp(tmpDir, "jinn-ctx-")
		if err != nil {
			return nil, err
		}
		return &Context{Dir: dir, tmp: dir, Dockerfile: data, Ignore: &Ignore{}}, nil
	default:
		return nil, fmt.Errorf("not a directory or a tar archive")
	}
	dir, err := os.MkdirTemp(tmpDir, "jinn-ctx-")
	if err != nil {
		return nil, err
	}
	c := &Context{Dir: dir, tmp: dir}
	root, err := fsroot.Open(dir)
	if err != nil {
		c.Close()
		return nil, err
	}
	defer root.Close()
	if err := untar(tr, root, "/", false); err != nil {
		c.Close()
		return nil, fmt.Errorf("unpack context: %w", err)
	}
	if err := c.loadIgnore(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// untar unpacks a tar stream into dest inside root. Names are confined to
// root by construction (every open goes through it); owners are kept only
// when keepOwners (ADD keeps them, a context does not need them).
func untar(tr *tar.Reader, root *fsroot.Root, dest string, keepOwners bool) error {
	type dirAttr struct {
		p    string
		mode os.FileMode
		own  *fsroot.Owner
		mt   int64
	}
	var dirs []dirAttr
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		p := path.Join(dest, fsroot.Clean(h.Name))
		var own *fsroot.Owner
		if keepOwners {
			own = &fsroot.Owner{UID: h.Uid, GID: h.Gid}
		}
		mode := h.FileInfo().Mode()
		if err := root.MkdirAll(path.Dir(p), 0o755, nil); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(p, 0o755, own); err != nil {
				return err
			}
			dirs = append(dirs, dirAttr{p, mode, own, h.ModTime.Unix()})
		case tar.TypeReg, tar.TypeRegA:
			if err := root.WriteFile(p, tr, mode, own, h.ModTime.Unix()); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := root.Symlink(p, h.Linkname, own); err != nil {
				return err
			}
		case tar.TypeLink:
			if err := root.Link(path.Join(dest, fsroot.Clean(h.Linkname)), p); err != nil {
				return err
			}
		default:
			// Devices and fifos are not expected in contexts or ADDed
			// archives; skip rather than need mknod privileges semantics.
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		if err := root.SetAttr(d.p, d.mode, d.own, d.mt); err != nil {
			return err
		}
	}
	return nil
}
