package engine

import (
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/fsroot"
	"github.com/jinn-containers/jinn/internal/recipe"
)

// execUser is a resolved --user.
type execUser = recipe.User

// resolveUser resolves user[:group] in the container's /etc/passwd and
// /etc/group, read through a nodev view of root (or, for a running
// container, its own root) and only if they are regular files.
func resolveUser(root, spec string) (execUser, error) {
	r, err := fsroot.OpenView(root)
	if err != nil {
		return execUser{Home: "/"}, fmt.Errorf("open root: %w", err)
	}
	defer r.Close()
	return recipe.ResolveUser(r, spec)
}

// resolveUserRunning resolves a user for exec in the root the container's
// process sees.
func resolveUserRunning(pid int, root, spec string) (execUser, error) {
	r, err := fsroot.OpenProcessRoot(pid)
	if err != nil {
		return resolveUser(root, spec)
	}
	defer r.Close()
	return recipe.ResolveUser(r, spec)
}

// checkExecutable finds argv0 inside root the way execvp would, so that a
// missing or non-executable command gets docker's 127/126 whatever the
// runtime prints. Paths under skip (volume mounts) are not checked.
func checkExecutable(root *fsroot.Root, argv0, cwd string, env []string, skip []string) error {
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
		f, err := root.OpenFile(p, unix.O_PATH)
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
