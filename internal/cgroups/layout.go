package cgroups

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/jinn-containers/jinn/internal/mountinfo"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Layout is where the host mounts its cgroup hierarchies: v1 controllers
// each on their own (or a shared) mount, and a cgroup2 mount that holds
// the controllers no v1 hierarchy has bound.
type Layout struct {
	// V1 maps a v1 controller ("memory", "cpu", ...) to its mount point.
	V1 map[string]string
	// Named maps a named v1 hierarchy ("name=systemd") to its mount
	// point. It has no controller, but a container joins it as under
	// runc, so that its processes show there in the container's cgroup.
	Named map[string]string
	// Unified is the cgroup2 mount point, or "" when there is none.
	Unified string
	// UnifiedControllers are those in the cgroup2 root's cgroup.controllers.
	UnifiedControllers map[string]bool
	// Mounts are all cgroup and cgroup2 mount points, named hierarchies
	// included: other runtimes (runc) make cgroups there too.
	Mounts []string
}

// DetectLayout finds the cgroup mounts where they usually are (see
// detectUsual), else in /proc/self/mountinfo, and reads the cgroup2
// root's cgroup.controllers. It only reads.
func DetectLayout() (*Layout, error) {
	l, ok := detectUsual("/proc/self/cgroup", "/sys/fs/cgroup")
	if !ok {
		b, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			return nil, fmt.Errorf("find cgroup mounts: %w", err)
		}
		if l, err = parseMountinfo(bytes.NewReader(b)); err != nil {
			return nil, err
		}
	}
	if l.Unified != "" {
		c, err := os.ReadFile(filepath.Join(l.Unified, "cgroup.controllers"))
		if err != nil {
			return nil, fmt.Errorf("find cgroup2 controllers: %w", err)
		}
		for _, f := range strings.Fields(string(c)) {
			l.UnifiedControllers[f] = true
		}
	}
	if len(l.V1) == 0 && l.Unified == "" {
		return nil, fmt.Errorf("find cgroup mounts: no cgroup or cgroup2 filesystem is mounted")
	}
	return l, nil
}

// parseMountinfo picks the cgroup mounts out of a mountinfo table. The
// first mount of a hierarchy wins; later ones are bind mounts of it.
func parseMountinfo(r io.Reader) (*Layout, error) {
	l := &Layout{V1: map[string]string{}, Named: map[string]string{}, UnifiedControllers: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent maj:min root mountpoint opts [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 {
			continue
		}
		mnt := mountinfo.Unescape(pf[4])
		if qf[0] == "cgroup" || qf[0] == "cgroup2" {
			l.Mounts = append(l.Mounts, mnt)
		}
		switch qf[0] {
		case "cgroup2":
			if l.Unified == "" {
				l.Unified = mnt
			}
		case "cgroup":
			for _, opt := range strings.Split(qf[2], ",") {
				if strings.HasPrefix(opt, "name=") {
					if _, seen := l.Named[opt]; !seen {
						l.Named[opt] = mnt
					}
					continue
				}
				if !isV1Controller(opt) {
					continue
				}
				if _, seen := l.V1[opt]; !seen {
					l.V1[opt] = mnt
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return l, nil
}

var v1Controllers = map[string]bool{
	"cpu": true, "cpuacct": true, "cpuset": true, "memory": true, "devices": true,
	"freezer": true, "blkio": true, "pids": true, "hugetlb": true, "net_cls": true,
	"net_prio": true, "perf_event": true, "rdma": true, "misc": true,
}

func isV1Controller(s string) bool { return v1Controllers[s] }

// Has says whether the host has controller on either hierarchy.
func (l *Layout) Has(controller string) bool {
	if _, ok := l.V1[controller]; ok {
		return true
	}
	return l.UnifiedControllers[controller]
}

// detectUsual finds every hierarchy this process is in (from cgroupFile,
// /proc/self/cgroup) mounted where systemd and every distribution put it:
// base/CONTROLLERS (named ones base/NAME), cgroup2 at base or
// base/unified. Each mount's file system type is checked and its
// directory for this process's cgroup must exist (a mount of another
// root, as in a container without a cgroup namespace, fails that); ok is
// false if any is missing, and the caller reads mountinfo instead.
// Why: mountinfo lists every mount of the host, two per container (its
// root file system and its network namespace), so with 1,000 containers
// each `run` read ~2,000 lines twice (engine and runtime), its largest
// cost that grew with the number of containers.
func detectUsual(cgroupFile, base string) (*Layout, bool) {
	b, err := os.ReadFile(cgroupFile)
	if err != nil {
		return nil, false
	}
	l := &Layout{V1: map[string]string{}, Named: map[string]string{}, UnifiedControllers: map[string]bool{}}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		// hierarchy-ID:controller-list:cgroup-path
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 || !strings.HasPrefix(f[2], "/") {
			return nil, false
		}
		var mnt string
		if f[0] == "0" && f[1] == "" {
			for _, m := range []string{base + "/unified", base} {
				if fsType(m) == unix.CGROUP2_SUPER_MAGIC {
					mnt = m
					break
				}
			}
			if mnt == "" {
				return nil, false
			}
			l.Unified = mnt
		} else {
			name := strings.TrimPrefix(f[1], "name=")
			if name == "" || strings.Contains(name, "/") {
				return nil, false
			}
			mnt = base + "/" + name
			if fsType(mnt) != unix.CGROUP_SUPER_MAGIC {
				return nil, false
			}
			for _, c := range strings.Split(f[1], ",") {
				switch {
				case strings.HasPrefix(c, "name="):
					l.Named[c] = mnt
				case isV1Controller(c):
					l.V1[c] = mnt
				}
			}
		}
		if fi, err := os.Stat(filepath.Join(mnt, f[2])); err != nil || !fi.IsDir() {
			return nil, false
		}
		l.Mounts = append(l.Mounts, mnt)
	}
	return l, len(l.Mounts) > 0
}

func fsType(path string) int64 {
	var st unix.Statfs_t
	if unix.Statfs(path, &st) != nil {
		return 0
	}
	return int64(st.Type)
}
