package engine

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// openInRoot opens path as if root were "/": symlinks and ".." cannot
// leave root (openat2 RESOLVE_IN_ROOT).
func openInRoot(root, path string, flags int) (*os.File, error) {
	dfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", root, err)
	}
	defer unix.Close(dfd)
	rel := strings.TrimPrefix(filepath.Clean("/"+path), "/")
	if rel == "" {
		rel = "."
	}
	fd, err := unix.Openat2(dfd, rel, &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(root, path)), nil
}

// execUser is a resolved --user.
type execUser struct {
	UID, GID uint32
	Home     string
}

// resolveUser resolves user[:group] with the container's /etc/passwd and
// /etc/group, read inside its root.
func resolveUser(root, spec string) (execUser, error) {
	u := execUser{Home: "/"}
	if spec == "" {
		spec = "0"
	}
	name, group, hasGroup := strings.Cut(spec, ":")
	found := false
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		u.UID, found = uint32(n), true
	}
	for _, f := range readColonFile(root, "/etc/passwd") {
		if len(f) < 6 {
			continue
		}
		if f[0] == name || (found && f[2] == name) {
			uid, _ := strconv.ParseUint(f[2], 10, 32)
			gid, _ := strconv.ParseUint(f[3], 10, 32)
			u.UID, u.GID, u.Home, found = uint32(uid), uint32(gid), f[5], true
			break
		}
	}
	if !found {
		return u, fmt.Errorf("unable to find user %s: no matching entries in passwd file", name)
	}
	if hasGroup {
		if n, err := strconv.ParseUint(group, 10, 32); err == nil {
			u.GID = uint32(n)
			return u, nil
		}
		for _, f := range readColonFile(root, "/etc/group") {
			if len(f) >= 3 && f[0] == group {
				gid, _ := strconv.ParseUint(f[2], 10, 32)
				u.GID = uint32(gid)
				return u, nil
			}
		}
		return u, fmt.Errorf("unable to find group %s: no matching entries in group file", group)
	}
	return u, nil
}

func readColonFile(root, path string) [][]string {
	f, err := openInRoot(root, path, unix.O_RDONLY)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out
}

// checkExecutable finds argv0 inside root the way execvp would, so that a
// missing or non-executable command gets docker's 127/126 whatever the
// runtime prints. Paths under skip (volume mounts) are not checked.
func checkExecutable(root, argv0, cwd string, env []string, skip []string) error {
	if argv0 == "" {
		return exitErr(ExitEngine, "no command specified")
	}
	underMount := func(p string) bool {
		for _, s := range skip {
			if p == s || strings.HasPrefix(p, strings.TrimSuffix(s, "/")+"/") {
				return true
			}
		}
		return false
	}
	check := func(p string) (bool, error) {
		if underMount(p) {
			return true, nil
		}
		f, err := openInRoot(root, p, unix.O_PATH)
		if err != nil {
			return false, nil
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return false, nil
		}
		if st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			return false, exitErr(ExitCannotRun, "exec: %q: permission denied", argv0)
		}
		return true, nil
	}
	if strings.Contains(argv0, "/") {
		p := argv0
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		ok, err := check(p)
		if err != nil {
			return err
		}
		if !ok {
			return exitErr(ExitNotFound, "exec: %q: stat %s: no such file or directory", argv0, argv0)
		}
		return nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		ok, err := check(filepath.Join(dir, argv0))
		if ok {
			return nil
		}
		if err != nil && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return denied
	}
	return exitErr(ExitNotFound, "exec: %q: executable file not found in $PATH", argv0)
}
