package fsroot

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Resolve returns where rel lands inside the root, as a clean absolute
// path ("/" is the root itself), following symlinks inside the root as
// the kernel does. The part that does not exist yet is taken as written,
// and a dangling symlink as the path MkdirAll makes for it: so a caller
// can judge a mount destination before anything is made.
func (r *Root) Resolve(rel string) (string, error) { return r.resolve1(rel, 0) }

func (r *Root) resolve1(rel string, depth int) (string, error) {
	if depth > 40 {
		return "", &os.PathError{Op: "resolve", Path: rel, Err: unix.ELOOP}
	}
	rel = Clean(rel)
	fd, err := r.open(rel, unix.O_PATH, 0)
	if err == nil {
		defer unix.Close(fd)
		return r.inside(fd)
	}
	if rel == "" || !errors.Is(err, unix.ENOENT) {
		return "", err
	}
	dir, base := path.Split(rel)
	parent, err := r.resolve1(dir, depth+1)
	if err != nil {
		return "", err
	}
	if target, err := r.Readlink(rel); err == nil { // dangling
		if !path.IsAbs(target) {
			target = path.Join(parent, target)
		}
		return r.resolve1(target, depth+1)
	}
	return path.Join(parent, base), nil
}

// inside names an open descriptor under the root relative to the root.
func (r *Root) inside(fd int) (string, error) {
	root, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(r.fd))
	if err != nil {
		return "", err
	}
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return "", err
	}
	switch {
	case root == "/":
		return p, nil
	case p == root:
		return "/", nil
	case strings.HasPrefix(p, root+"/"):
		return p[len(root):], nil
	}
	return "", fmt.Errorf("%s is not under the root %s", p, root)
}
