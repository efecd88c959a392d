package cgroups

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
	"github.com/jinn-containers/jinn/internal/mountinfo"
	"io"
	"os"
	"path/filepath"
	"strings"
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
	// Hierarchies are those mounts with their types and options, in
	// mount order (what a container's own /sys/fs/cgroup is made of).
	Hierarchies []Mount
}

// Mount is one cgroup or cgroup2 mount of the host.
type Mount struct {
	Point   string   `json:"point"`             // mount point, unescaped
	Type    string   `json:"type"`              // "cgroup" or "cgroup2"
	Options []string `json:"options,omitempty"` // super options: controllers, name=..., nsdelegate
}

// DetectLayout finds the cgroup mounts (statmount.go, or mountinfo where
// the kernel lacks statmount) and reads the cgroup2 root's
// cgroup.controllers. It only reads.
func DetectLayout() (*Layout, error) {
	mounts, err := Mounts()
	if err != nil {
		return nil, err
	}
	l := LayoutOf(mounts)
	if l.Unified != "" {
		c, err := cgfs.ReadFile(filepath.Join(l.Unified, "cgroup.controllers"))
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

// Mounts lists the cgroup and cgroup2 mounts of the caller's mount
// namespace, in mount order.
func Mounts() ([]Mount, error) {
	if mounts, err := statmountCgroups(); err == nil {
		return mounts, nil
	}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("find cgroup mounts: %w", err)
	}
	return parseMountinfo(bytes.NewReader(b))
}

// parseMountinfo picks the cgroup mounts out of a mountinfo table, in its
// order.
func parseMountinfo(r io.Reader) ([]Mount, error) {
	var out []Mount
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
		if qf[0] == "cgroup" || qf[0] == "cgroup2" {
			out = append(out, Mount{Point: mountinfo.Unescape(pf[4]), Type: qf[0], Options: superOptions(qf[2])})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return out, nil
}

// superOptions splits a super block's options, without the read-write
// flag that mountinfo puts first and statmount leaves out.
func superOptions(s string) []string {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o != "" && o != "rw" && o != "ro" {
			out = append(out, o)
		}
	}
	return out
}

// LayoutOf makes the layout of the cgroup mounts, in mount order: the
// first mount of a hierarchy wins, later ones are bind mounts of it.
// UnifiedControllers is left empty.
func LayoutOf(mounts []Mount) *Layout {
	l := &Layout{V1: map[string]string{}, Named: map[string]string{}, UnifiedControllers: map[string]bool{},
		Hierarchies: mounts}
	for _, m := range mounts {
		l.Mounts = append(l.Mounts, m.Point)
		switch m.Type {
		case "cgroup2":
			if l.Unified == "" {
				l.Unified = m.Point
			}
		case "cgroup":
			for _, opt := range m.Options {
				if strings.HasPrefix(opt, "name=") {
					if _, seen := l.Named[opt]; !seen {
						l.Named[opt] = m.Point
					}
					continue
				}
				if !isV1Controller(opt) {
					continue
				}
				if _, seen := l.V1[opt]; !seen {
					l.V1[opt] = m.Point
				}
			}
		}
	}
	return l
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
