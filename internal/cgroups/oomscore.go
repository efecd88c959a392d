package cgroups

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
)

// ProtectScore is the oom_score_adj jinn's own processes (runtime, engine,
// monitors) give themselves, so that the OOM killer takes a container's
// process, never the tools that manage it. -1000 would forbid killing
// outright; -999 leaves the kernel a last resort.
const ProtectScore = -999

// Protect lowers this process's oom_score_adj to ProtectScore and returns
// the value it had, which the caller gives back to any child that must not
// inherit the protection (a container's init: raising is always allowed).
// Without CAP_SYS_RESOURCE the kernel refuses to go below the lowest value
// set before; then Protect leaves the score alone and returns
// ErrCannotProtect with the old value. A memory cgroup's OOM killer only
// ever picks processes inside that cgroup, so this guards against a
// host-wide OOM only.
func Protect() (old int, err error) {
	old, err = OOMScoreAdj(0)
	if err != nil {
		return 0, fmt.Errorf("read oom_score_adj: %w", err)
	}
	if old <= ProtectScore {
		return old, nil
	}
	if err := SetOOMScoreAdj(0, ProtectScore); err != nil {
		if errors.Is(err, os.ErrPermission) || strings.Contains(err.Error(), "input/output error") {
			return old, ErrCannotProtect
		}
		return old, err
	}
	return old, nil
}

// ErrCannotProtect says the kernel would not lower oom_score_adj.
var ErrCannotProtect = errors.New("oom_score_adj cannot be lowered without CAP_SYS_RESOURCE")

// SetOOMScoreAdj writes /proc/<pid>/oom_score_adj (pid 0: this process).
// Lowering it needs CAP_SYS_RESOURCE, which root has here.
func SetOOMScoreAdj(pid, score int) error {
	if score < -1000 || score > 1000 {
		return fmt.Errorf("oom_score_adj %d: must be -1000 to 1000", score)
	}
	p := "/proc/self/oom_score_adj"
	if pid > 0 {
		p = "/proc/" + strconv.Itoa(pid) + "/oom_score_adj"
	}
	// Plain syscalls, not os.WriteFile: every runtime command starts here.
	fd, err := unix.Open(p, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("set oom_score_adj: %w", &os.PathError{Op: "open", Path: p, Err: err})
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte(strconv.Itoa(score))); err != nil {
		return fmt.Errorf("set oom_score_adj: %w", &os.PathError{Op: "write", Path: p, Err: err})
	}
	return nil
}

// OOMScoreAdj reads a process's oom_score_adj (pid 0: this process).
func OOMScoreAdj(pid int) (int, error) {
	p := "/proc/self/oom_score_adj"
	if pid > 0 {
		p = "/proc/" + strconv.Itoa(pid) + "/oom_score_adj"
	}
	b, err := cgfs.ReadFile(p)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
