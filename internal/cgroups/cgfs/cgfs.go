// Package cgfs holds what the v1 and v2 cgroup drivers share: reading and
// writing cgroupfs files, a write transaction that can be rolled back, and
// the statistics types.
package cgfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Write writes data to dir/file the way cgroupfs wants it: one write(2)
// to an existing file, never created.
func Write(dir, file, data string) error {
	p := filepath.Join(dir, file)
	fd, err := unix.Open(p, unix.O_WRONLY|unix.O_TRUNC|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", data, p, err)
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte(data)); err != nil {
		return fmt.Errorf("write %q to %s: %w", data, p, err)
	}
	return nil
}

// Read returns dir/file's content without the trailing newline.
func Read(dir, file string) (string, error) {
	b, err := ReadFile(filepath.Join(dir, file))
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\n"), nil
}

// ReadFile is os.ReadFile for the small files of cgroupfs and procfs (and
// the runtime's state record), with open, read and close alone: an os.File also costs an fstat, four
// fcntls and an attempt to register with the netpoller (whose first use
// makes an epoll instance), ten syscalls a file in all.
func ReadFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	b := make([]byte, 0, 512)
	for {
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// ReadUint reads a file holding one number; "max" reads as MaxUint64.
func ReadUint(dir, file string) (uint64, error) {
	s, err := Read(dir, file)
	if err != nil {
		return 0, err
	}
	return ParseUint(s)
}

// ParseUint parses a cgroup number; "max" is MaxUint64 and negative numbers
// (v1's -1 for unlimited) are MaxUint64 too.
func ParseUint(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if i, err2 := strconv.ParseInt(s, 10, 64); err2 == nil && i < 0 {
			return math.MaxUint64, nil
		}
		return 0, fmt.Errorf("parse %q: %w", s, err)
	}
	return v, nil
}

// ReadKeyed reads a "key value" per line file (memory.stat, cpu.stat,
// memory.events). Lines that do not parse are skipped.
func ReadKeyed(dir, file string) (map[string]uint64, error) {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	m := make(map[string]uint64)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if n, err := ParseUint(v); err == nil {
			m[k] = n
		}
	}
	return m, nil
}

// ReadProcs lists the pids in dir's cgroup.procs and in every cgroup below
// it, because a container may make its own sub-cgroups.
func ReadProcs(dir string) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if p != dir && errors.Is(err, os.ErrNotExist) {
				return nil // removed while we walked
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
		return nil
	})
	return pids, err
}

// Mkdir makes dir and the missing cgroups above it, returning the ones it
// made, outermost first, so a failure can remove exactly those. Each
// parent it makes is marked (MadeByJinn) so that a delete removes, once
// empty, only the parents jinn made. A delete elsewhere may remove an
// empty parent between two mkdirs (ENOENT): then it starts again.
func Mkdir(dir string) ([]string, error) {
	var made []string
	for try := 0; ; try++ {
		mk, err := mkdirOnce(dir)
		made = append(made, mk...)
		if err == nil || !errors.Is(err, unix.ENOENT) || try >= 20 {
			return made, err
		}
	}
}

func mkdirOnce(dir string) ([]string, error) {
	// mkdir first, the parents only when it says they are missing: with
	// jinn's parent gone (its last container deleted) that is mkdir,
	// mkdir of the parent, mkdir again, and no stat of the walk up.
	switch err := unix.Mkdir(dir, 0o755); err {
	case nil:
		return []string{dir}, nil
	case unix.EEXIST:
		return nil, nil
	case unix.ENOENT:
	default:
		return nil, fmt.Errorf("make cgroup %s: %w", dir, err)
	}
	up := filepath.Dir(dir)
	if up == dir || up == "." {
		return nil, fmt.Errorf("make cgroup %s: %w", dir, unix.ENOENT)
	}
	made, err := mkdirOnce(up)
	if err != nil {
		return made, err
	}
	if len(made) > 0 && made[len(made)-1] == up {
		// Best effort: an unmarked parent is only left behind.
		_ = unix.Setxattr(up, madeXattr, []byte("1"), 0)
	}
	switch err := unix.Mkdir(dir, 0o755); err {
	case nil:
		return append(made, dir), nil
	case unix.EEXIST:
		return made, nil
	default:
		return made, fmt.Errorf("make cgroup %s: %w", dir, err)
	}
}

// madeXattr marks a parent cgroup that jinn made. The trusted namespace
// needs CAP_SYS_ADMIN, so nobody unprivileged can make jinn remove theirs.
const madeXattr = "trusted.jinn.made"

// MadeXattr is madeXattr's name, for the C delete's plan to carry.
const MadeXattr = madeXattr

// MadeByJinn says whether dir is a parent cgroup that Mkdir made.
func MadeByJinn(dir string) bool {
	var b [1]byte
	_, err := unix.Getxattr(dir, madeXattr, b[:])
	return err == nil
}

// RemoveTree removes the cgroup dir and every cgroup below it, deepest
// first. rmdir of a cgroup whose last process has just died can fail with
// EBUSY for a moment, so it retries briefly. A missing dir is no error.
func RemoveTree(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := rmdir(dirs[i]); err != nil {
			return err
		}
	}
	return nil
}

func rmdir(dir string) error {
	delay := time.Millisecond
	for i := 0; ; i++ {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || i >= 12 {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(delay)
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

// Exists says whether dir/file exists.
func Exists(dir, file string) bool {
	_, err := os.Stat(filepath.Join(dir, file))
	return err == nil
}
