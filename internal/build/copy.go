package build

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/fsroot"
)

// copyOp is one entry a COPY writes: planned first (to hash it for the
// cache), written only on a cache miss.
type copyOp struct {
	src  string // relative to the source root
	dst  string // absolute in the image
	st   unix.Stat_t
	link string
	data []byte // heredoc content, src == ""
	top  bool   // a source directory: only its contents are copied
}

func (op *copyOp) kind() uint32 { return op.st.Mode & unix.S_IFMT }

// source is one COPY source: its name as written (which names it at the
// destination) and its real path in the source root, with every symlink
// on the way resolved.
type source struct{ name, real string }

// expandSources turns COPY's source arguments (globs allowed) into sources.
// The context is what docker would send: ignored paths do not exist in it,
// so a source that is, or leads through a symlink to, an ignored path is
// not found (alias -> secret, sub -> . then sub/secret).
func expandSources(src *fsroot.Root, ig *Ignore, patterns []string) ([]source, error) {
	var out []source
	for _, p := range patterns {
		if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
			return nil, fmt.Errorf("source %s: a URL is only allowed in ADD", p)
		}
		if rel := path.Clean(p); rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("source %s: forbidden path outside the build context", p)
		}
		c := fsroot.Clean(p)
		if !hasMeta(c) {
			real, err := resolveSource(src, ig, c)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", p, err)
			}
			out = append(out, source{c, real})
			continue
		}
		matches, err := glob(src, ig, c)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", p, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("source %s: no files in the build context match", p)
		}
		out = append(out, matches...)
	}
	return out, nil
}

var errNotInContext = errors.New("file not found in build context or excluded by .dockerignore")

// resolveSource resolves rel one component at a time, symlinks followed
// inside the source root (absolute targets and ".." stop at its top), and
// refuses any step that lands on an excluded path. The real path it
// returns has no symlink in it.
func resolveSource(src *fsroot.Root, ig *Ignore, rel string) (string, error) {
	todo := strings.Split(rel, "/")
	cur, links := "", 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if cur = path.Dir(cur); cur == "." {
				cur = ""
			}
			continue
		}
		next := path.Join(cur, c)
		st, err := src.Lstat(next)
		if err != nil {
			return "", errNotInContext
		}
		kind := st.Mode & unix.S_IFMT
		// An excluded directory stays only for what "!" patterns bring back.
		if ig.Excluded(next) && !(kind == unix.S_IFDIR && ig.MayIncludeUnder(next)) {
			return "", errNotInContext
		}
		if kind != unix.S_IFLNK {
			cur = next
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("too many levels of symbolic links")
		}
		target, err := src.Readlink(next)
		if err != nil {
			return "", errNotInContext
		}
		if path.IsAbs(target) {
			cur = ""
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return cur, nil
}

func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[\\") }

// glob matches a pattern one path segment at a time; each match is then
// resolved like a plain source, and dropped if that leads to an ignored
// path.
func glob(src *fsroot.Root, ig *Ignore, pattern string) ([]source, error) {
	cur := []string{""}
	for _, seg := range strings.Split(pattern, "/") {
		var next []string
		for _, dir := range cur {
			if !hasMeta(seg) {
				p := path.Join(dir, seg)
				if _, err := src.Lstat(p); err == nil {
					next = append(next, p)
				}
				continue
			}
			names, err := src.ReadDir(dir)
			if err != nil {
				continue
			}
			sort.Strings(names)
			for _, n := range names {
				ok, err := path.Match(seg, n)
				if err != nil {
					return nil, fmt.Errorf("bad pattern: %w", err)
				}
				if ok {
					next = append(next, path.Join(dir, n))
				}
			}
		}
		cur = next
	}
	var out []source
	for _, p := range cur {
		if real, err := resolveSource(src, ig, p); err == nil {
			out = append(out, source{p, real})
		}
	}
	return out, nil
}

// planCopy applies docker's rules: a directory source copies its contents,
// several sources need a directory destination ending in "/", a file copied
// onto "dir/" keeps its name (the name as written, a symlink's own).
func planCopy(src *fsroot.Root, ig *Ignore, sources []source, dest string, destIsDir bool) ([]copyOp, error) {
	if len(sources) > 1 && !destIsDir {
		return nil, fmt.Errorf("when copying more than one source the destination must be a directory and end with a /")
	}
	var ops []copyOp
	for _, s := range sources {
		st, err := src.Lstat(s.real)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.name, err)
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			ops = append(ops, copyOp{src: s.real, dst: dest, st: st, top: true})
			if err := walk(src, ig, s.real, dest, &ops); err != nil {
				return nil, err
			}
		case unix.S_IFREG:
			d := dest
			if destIsDir {
				d = path.Join(dest, path.Base("/"+s.name))
			}
			ops = append(ops, copyOp{src: s.real, dst: d, st: st})
		default:
			return nil, fmt.Errorf("source %s: not a regular file or directory", s.name)
		}
	}
	return ops, nil
}

func walk(src *fsroot.Root, ig *Ignore, dir, dest string, ops *[]copyOp) error {
	names, err := src.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	sort.Strings(names)
	for _, n := range names {
		rel := path.Join(dir, n)
		st, err := src.Lstat(rel)
		if err != nil {
			return err
		}
		excluded := ig.Excluded(rel)
		if excluded && !(st.Mode&unix.S_IFMT == unix.S_IFDIR && ig.MayIncludeUnder(rel)) {
			continue
		}
		op := copyOp{src: rel, dst: path.Join(dest, n), st: st}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			start := len(*ops)
			*ops = append(*ops, op)
			if err := walk(src, ig, rel, op.dst, ops); err != nil {
				return err
			}
			if excluded && len(*ops) == start+1 {
				*ops = (*ops)[:start] // nothing re-included below it
			}
		case unix.S_IFLNK:
			if op.link, err = src.Readlink(rel); err != nil {
				return err
			}
			*ops = append(*ops, op)
		case unix.S_IFREG:
			*ops = append(*ops, op)
		}
	}
	return nil
}

// hashOps is the cache's checksum of what a COPY writes: names, types,
// modes, link targets and content; not mtimes, so a touched file still hits.
func hashOps(src *fsroot.Root, ops []copyOp) (string, error) {
	h := sha256.New()
	for i := range ops {
		op := &ops[i]
		fmt.Fprintf(h, "%s\x00%o\x00%s\x00", op.dst, op.st.Mode, op.link)
		switch {
		case op.src == "" && op.data != nil:
			h.Write(op.data)
		case op.kind() == unix.S_IFREG:
			f, err := src.Open(op.src)
			if err != nil {
				return "", err
			}
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return "", fmt.Errorf("read %s: %w", op.src, err)
			}
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// applyOps writes the planned entries into dst (the image's root).
func applyOps(src, dst *fsroot.Root, ops []copyOp, own *fsroot.Owner, chmod *os.FileMode) error {
	if own == nil {
		own = &fsroot.Owner{UID: 0, GID: 0}
	}
	var dirs []copyOp
	for i := range ops {
		op := &ops[i]
		mode := os.FileMode(op.st.Mode & 0o7777)
		mode = os.FileMode(mode.Perm()) | specialBits(op.st.Mode)
		if chmod != nil && op.kind() != unix.S_IFLNK {
			mode = *chmod
		}
		mtime := op.st.Mtim.Sec
		switch {
		case op.src == "" && op.data != nil:
			if err := dst.MkdirAll(path.Dir(op.dst), 0o755, nil); err != nil {
				return err
			}
			if err := dst.WriteFile(op.dst, strings.NewReader(string(op.data)), mode, own, 0); err != nil {
				return err
			}
		case op.kind() == unix.S_IFDIR:
			if err := dst.MkdirAll(op.dst, 0o755, own); err != nil {
				return err
			}
			if op.top {
				continue
			}
			dirs = append(dirs, copyOp{dst: op.dst, st: op.st})
			dirs[len(dirs)-1].st.Mode = uint32(fsroot.UnixMode(mode))
		case op.kind() == unix.S_IFLNK:
			if err := dst.MkdirAll(path.Dir(op.dst), 0o755, nil); err != nil {
				return err
			}
			if err := dst.Symlink(op.dst, op.link, own); err != nil {
				return err
			}
		default:
			if err := dst.MkdirAll(path.Dir(op.dst), 0o755, nil); err != nil {
				return err
			}
			f, err := src.Open(op.src)
			if err != nil {
				return err
			}
			err = dst.WriteFile(op.dst, f, mode, own, mtime)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	// Directory modes last, deepest first, so read-only ones don't block
	// their own contents.
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		m := os.FileMode(d.st.Mode&0o777) | specialBits(d.st.Mode)
		if err := dst.SetAttr(d.dst, m, own, 0); err != nil {
			return fmt.Errorf("set mode of %s: %w", d.dst, err)
		}
	}
	return nil
}

func specialBits(m uint32) os.FileMode {
	var fm os.FileMode
	if m&unix.S_ISUID != 0 {
		fm |= os.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		fm |= os.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		fm |= os.ModeSticky
	}
	return fm
}
