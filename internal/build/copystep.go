package build

import (
	"archive/tar"
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/fsroot"
)

// copy handles COPY and ADD: sources are planned and hashed first (the
// cache key), and written into a new layer only on a cache miss.
func (s *stage) copy(ctx context.Context, in *Instruction) error {
	name := strings.ToUpper(in.Cmd)
	allowed := []string{"chown", "chmod", "from", "link", "parents", "exclude"}
	if in.Cmd == "add" {
		allowed = []string{"chown", "chmod", "link", "checksum", "keep-git-dir"}
	}
	flags, err := parseFlags(in, allowed...)
	if err != nil {
		return err
	}
	for _, f := range []string{"parents", "exclude", "checksum", "keep-git-dir"} {
		if _, ok := flags[f]; ok {
			return fmt.Errorf("%s --%s is not supported by jinn's builder", name, f)
		}
	}
	args, err := s.v.words(in.Args)
	if err != nil {
		return err
	}
	// Heredoc sources ("<<EOF") are not words to expand again.
	for i, a := range in.Args {
		if strings.HasPrefix(a, "<<") {
			args[i] = a
		}
	}
	if len(args) < 2 {
		return fmt.Errorf("%s requires at least two arguments", name)
	}
	srcs, destArg := args[:len(args)-1], args[len(args)-1]
	dest := destArg
	if !path.IsAbs(dest) {
		dest = path.Join("/", s.cfg.Config.WorkingDir, dest)
	}
	destIsDir := strings.HasSuffix(destArg, "/") || destArg == "." || strings.HasSuffix(destArg, "/.")
	dest = path.Clean(dest)

	var chmod *os.FileMode
	if c, ok := flags["chmod"]; ok {
		n, err := strconv.ParseUint(c, 8, 32)
		if err != nil || n > 0o7777 {
			return fmt.Errorf("%s --chmod=%s: not an octal mode", name, c)
		}
		m := os.FileMode(n&0o777) | specialBits(uint32(n))
		chmod = &m
	}
	chown, _ := flags["chown"]
	if chown != "" {
		if chown, err = s.v.word(chown); err != nil {
			return err
		}
	}

	// The source root: the context, or an earlier stage or image (--from).
	var plan *copyPlan
	from, hasFrom := flags["from"]
	if hasFrom {
		if from, err = s.v.word(from); err != nil {
			return err
		}
		img, found, err := s.b.stageByName(from)
		if err != nil {
			return err
		}
		if !found {
			if img, err = s.b.resolveImage(from); err != nil {
				return fmt.Errorf("--from=%s: %w", from, err)
			}
		}
		err = s.b.viewImage(img, func(dir string) error {
			plan, err = s.planFrom(ctx, in, dir, false, nil, srcs, dest, destIsDir)
			if plan != nil {
				// Let go of the view before it is unmounted.
				plan.src.Close()
				plan.src = nil
			}
			return err
		})
		if err != nil {
			return err
		}
	} else {
		plan, err = s.planFrom(ctx, in, s.b.ctxt.Dir, true, s.b.ctxt.Ignore, srcs, dest, destIsDir)
		if err != nil {
			return err
		}
	}
	defer plan.cleanup()

	mode := ""
	if chmod != nil {
		mode = fmt.Sprintf("%o", fsroot.UnixMode(*chmod))
	}
	parts := []string{in.Cmd, plan.sum, dest, chown, mode}
	createdBy := nop(fmt.Sprintf("%s %s in %s ", name, plan.describe(), dest))
	work := func(ctx context.Context, rootfs string) error {
		dst, err := fsroot.Open(rootfs)
		if err != nil {
			return err
		}
		defer dst.Close()
		own, err := resolveOwner(dst, chown)
		if err != nil {
			return fmt.Errorf("--chown=%s: %w", chown, err)
		}
		if !destIsDir {
			// docker: a file copied onto an existing directory goes into it.
			if st, err := dst.Stat(dest); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
				plan.into(dest)
			}
		}
		return plan.apply(ctx, s.b, dst, own, chmod)
	}
	if hasFrom {
		// Reading from another image needs its view mounted again for the
		// write; only on a cache miss.
		img, found, _ := s.b.stageByName(from)
		if !found {
			img, _ = s.b.resolveImage(from)
		}
		inner := work
		work = func(ctx context.Context, rootfs string) error {
			return s.b.viewImage(img, func(dir string) error {
				r, err := fsroot.Open(dir)
				if err != nil {
					return err
				}
				plan.src = r
				defer func() { r.Close(); plan.src = nil }()
				return inner(ctx, rootfs)
			})
		}
	}
	return s.commit(ctx, parts, createdBy, nil, work)
}

// copyPlan is what a COPY or ADD will write, with its checksum.
type copyPlan struct {
	src      *fsroot.Root
	ops      []copyOp
	archives []archiveOp // ADD: local tarballs to unpack
	sum      string
	kinds    []string
	tmp      []string
}

type archiveOp struct {
	src  string // relative to the source root
	dest string
}

func (p *copyPlan) describe() string {
	if len(p.kinds) == 1 {
		return p.kinds[0] + ":" + p.sum[:16]
	}
	return "multi:" + p.sum[:16]
}

// into retargets single files aimed at dest to dest/<name>.
func (p *copyPlan) into(dest string) {
	for i := range p.ops {
		op := &p.ops[i]
		if op.dst != dest || op.kind() == unix.S_IFDIR {
			continue
		}
		name := path.Base("/" + op.src)
		if op.src == "" {
			name = path.Base(dest)
		}
		op.dst = path.Join(dest, name)
	}
}

func (p *copyPlan) cleanup() {
	if p.src != nil {
		p.src.Close()
	}
	for _, t := range p.tmp {
		os.RemoveAll(t)
	}
}

func (s *stage) planFrom(ctx context.Context, in *Instruction, dir string, isContext bool, ig *Ignore, srcs []string, dest string, destIsDir bool) (*copyPlan, error) {
	open := fsroot.Open
	if isContext {
		open = fsroot.OpenBeneath
	}
	src, err := open(dir)
	if err != nil {
		return nil, err
	}
	p := &copyPlan{src: src}
	ok := false
	defer func() {
		if !ok {
			p.cleanup()
		}
	}()
	h := sha256.New()
	var local []string
	for _, a := range srcs {
		switch {
		case strings.HasPrefix(a, "<<"):
			hd, err := findHeredoc(in, a)
			if err != nil {
				return nil, err
			}
			d := dest
			if destIsDir || len(srcs) > 1 {
				d = path.Join(dest, hd.Name)
			}
			data := hd.Content
			if hd.Expand {
				lex := shell.NewLex(s.b.df.Escape)
				lex.RawQuotes, lex.RawEscapes = true, true
				if exp, _, err := lex.ProcessWord(data, s.v); err == nil {
					data = exp
				}
			}
			p.ops = append(p.ops, copyOp{dst: d, data: []byte(data), st: unix.Stat_t{Mode: unix.S_IFREG | 0o644}})
			p.kinds = append(p.kinds, "heredoc")
		case in.Cmd == "add" && (strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://")):
			op, tmp, err := fetchURL(ctx, s.b.tmp, a, dest, destIsDir)
			if tmp != "" {
				p.tmp = append(p.tmp, tmp)
			}
			if err != nil {
				return nil, err
			}
			p.ops = append(p.ops, op)
			p.kinds = append(p.kinds, "url")
		default:
			local = append(local, a)
		}
	}
	if len(local) > 0 {
		paths, err := expandSources(src, ig, local)
		if err != nil {
			return nil, err
		}
		many := len(paths)+len(p.ops) > 1
		if many && !destIsDir {
			return nil, fmt.Errorf("when copying more than one source the destination must be a directory and end with a /")
		}
		var plain []source
		for _, sp := range paths {
			if in.Cmd == "add" && isLocalArchive(src, sp.real) {
				p.archives = append(p.archives, archiveOp{src: sp.real, dest: dest})
				p.kinds = append(p.kinds, "archive")
				continue
			}
			plain = append(plain, sp)
		}
		ops, err := planCopy(src, ig, plain, dest, destIsDir || many)
		if err != nil {
			return nil, err
		}
		p.ops = append(p.ops, ops...)
		for range plain {
			p.kinds = append(p.kinds, "file")
		}
	}
	sum, err := hashOps(src, p.ops)
	if err != nil {
		return nil, err
	}
	h.Write([]byte(sum))
	for _, a := range p.archives {
		f, err := src.Open(a.src)
		if err != nil {
			return nil, err
		}
		io.Copy(h, f)
		f.Close()
		fmt.Fprintf(h, "\x00%s\x00", a.dest)
	}
	p.sum = hex.EncodeToString(h.Sum(nil))
	ok = true
	return p, nil
}

func findHeredoc(in *Instruction, marker string) (*heredocT, error) {
	name := strings.Trim(strings.TrimPrefix(strings.TrimPrefix(marker, "<<"), "-"), `"'`)
	for _, h := range in.Heredocs {
		if h.Name == name {
			return &heredocT{Name: h.Name, Content: h.Content, Expand: h.Expand}, nil
		}
	}
	return nil, fmt.Errorf("heredoc %s has no content", marker)
}

type heredocT struct {
	Name, Content string
	Expand        bool
}

func (p *copyPlan) apply(ctx context.Context, b *Builder, dst *fsroot.Root, own *fsroot.Owner, chmod *os.FileMode) error {
	if err := applyOps(p.src, dst, p.ops, own, chmod); err != nil {
		return err
	}
	for _, a := range p.archives {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := p.src.Open(a.src)
		if err != nil {
			return err
		}
		err = unpackArchive(f, dst, a.dest)
		f.Close()
		if err != nil {
			return fmt.Errorf("ADD %s: %w", a.src, err)
		}
	}
	return nil
}

// isLocalArchive: ADD unpacks tar files (plain, gzip, bzip2, zstd).
func isLocalArchive(src *fsroot.Root, rel string) bool {
	st, err := src.Stat(rel)
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false
	}
	f, err := src.Open(rel)
	if err != nil {
		return false
	}
	defer f.Close()
	r, err := decompress(bufio.NewReader(f))
	if err != nil {
		return false
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(r, head)
	return n >= 262 && string(head[257:262]) == "ustar"
}

func decompress(br *bufio.Reader) (io.Reader, error) {
	head, _ := br.Peek(4)
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return gzip.NewReader(br)
	case len(head) >= 3 && string(head[:3]) == "BZh":
		return bzip2.NewReader(br), nil
	case len(head) >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd:
		d, err := zstd.NewReader(br)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return br, nil
}

func unpackArchive(f io.Reader, dst *fsroot.Root, dest string) error {
	r, err := decompress(bufio.NewReader(f))
	if err != nil {
		return err
	}
	if err := dst.MkdirAll(dest, 0o755, nil); err != nil {
		return err
	}
	return untar(tar.NewReader(r), dst, dest, true)
}

// fetchURL downloads an ADD URL into a temp dir; unreachable URLs are a
// clear error, not a hang (bounded by a timeout).
func fetchURL(ctx context.Context, tmpDir, rawURL, dest string, destIsDir bool) (copyOp, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return copyOp{}, "", fmt.Errorf("ADD %s: bad URL: %w", rawURL, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return copyOp{}, "", err
	}
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return copyOp{}, "", fmt.Errorf("ADD %s: the URL is unreachable: %v", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return copyOp{}, "", fmt.Errorf("ADD %s: the server answered %s", rawURL, resp.Status)
	}
	dir, err := os.MkdirTemp(tmpDir, "add-")
	if err != nil {
		return copyOp{}, "", err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return copyOp{}, dir, fmt.Errorf("ADD %s: download: %w", rawURL, err)
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" {
		name = "index.html"
	}
	d := dest
	if destIsDir {
		d = path.Join(dest, name)
	}
	st := unix.Stat_t{Mode: unix.S_IFREG | 0o600}
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		st.Mtim.Sec = lm.Unix()
	}
	return copyOp{dst: d, data: data, st: st}, dir, nil
}
