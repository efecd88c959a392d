// Package plandir is the one owner of the rules for the directories of
// plans that C code reads before Go starts (the runtime's run plans,
// internal/runtime/runplan.go; the CLI's, internal/cliplan): only a
// directory and files of this user's, which nobody else may write, are
// trusted, and a directory holds a bounded number of plans.
package plandir

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Owned says whether fd is of type mode (unix.S_IFDIR, S_IFREG), this
// user's, and writable by nobody else.
func Owned(fd int, mode uint32) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == mode && st.Uid == uint32(unix.Geteuid()) &&
		st.Mode&0o022 == 0
}

// Trusted opens dir through no symlink and says whether it is Owned.
func Trusted(dir string) bool {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return Owned(fd, unix.S_IFDIR)
}

// Prune removes the oldest files of dir named prefix* once it holds kept,
// before a new one is added.
func Prune(dir, prefix string, kept int) {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) < kept {
		return
	}
	type plan struct {
		name string
		when int64
	}
	var ps []plan
	for _, e := range ents {
		if info, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), prefix) {
			ps = append(ps, plan{e.Name(), info.ModTime().UnixNano()})
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].when < ps[j].when })
	for i := 0; i+kept-1 < len(ps); i++ {
		os.Remove(filepath.Join(dir, ps[i].name))
	}
}
