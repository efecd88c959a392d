package cgroups

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/jsonlite"
)

// DetectLayoutCached is DetectLayout, remembered in file (best put on a
// tmpfs that a reboot clears, such as the engine's run root). Detecting
// reads all of /proc/self/mountinfo, whose every line the kernel formats
// on each read: on a host with a thousand containers' overlays mounted
// that is 3-13 ms of CPU, the largest single cost of a `jinn run`.
//
// A remembered layout is used only while it still holds:
//   - /proc/self/cgroup lists the same hierarchies (ids and controllers):
//     a hierarchy mounted or gone since changes it;
//   - every remembered mount point is still the root of the same cgroup
//     file system: same device (the hierarchy's superblock) and inode
//     (its root directory, not a bind mount of a cgroup below it).
//
// Anything else (no file, damage, a mismatch) detects again and rewrites
// the file. The cgroup2 root's controllers are read each time.
func DetectLayoutCached(file string) (*Layout, error) {
	key := hierarchyKey()
	if key != "" {
		if l := readLayoutCache(file, key); l != nil {
			return l, nil
		}
	}
	l, err := DetectLayout()
	if err != nil {
		return nil, err
	}
	if key != "" {
		writeLayoutCache(file, key, l)
	}
	return l, nil
}

type layoutCache struct {
	Hierarchies string               `json:"hierarchies"`
	Layout      *Layout              `json:"layout"`
	Roots       map[string][2]uint64 `json:"roots"` // mount point: dev, ino
}

// hierarchyKey is /proc/self/cgroup without the paths: "id:controllers"
// of each hierarchy the kernel has. "" if it cannot be read.
func hierarchyKey() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	var parts []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if i := strings.LastIndexByte(line, ':'); i > 0 {
			parts = append(parts, line[:i])
		}
	}
	return strings.Join(parts, ";")
}

// layoutMounts are every mount point a layout names.
func layoutMounts(l *Layout) []string {
	out := append([]string{}, l.Mounts...)
	for _, m := range l.V1 {
		out = append(out, m)
	}
	for _, m := range l.Named {
		out = append(out, m)
	}
	if l.Unified != "" {
		out = append(out, l.Unified)
	}
	return out
}

func rootID(mnt string) ([2]uint64, bool) {
	var st unix.Stat_t
	if err := unix.Stat(mnt, &st); err != nil {
		return [2]uint64{}, false
	}
	var sf unix.Statfs_t
	if err := unix.Statfs(mnt, &sf); err != nil || (sf.Type != unix.CGROUP_SUPER_MAGIC && sf.Type != unix.CGROUP2_SUPER_MAGIC) {
		return [2]uint64{}, false
	}
	return [2]uint64{st.Dev, st.Ino}, true
}

func readLayoutCache(file, key string) *Layout {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var c layoutCache
	if jsonlite.Decode(b, &c) != nil || c.Layout == nil || c.Hierarchies != key {
		return nil
	}
	l := c.Layout
	if len(l.V1) == 0 && l.Unified == "" {
		return nil
	}
	for _, m := range layoutMounts(l) {
		if id, ok := rootID(m); !ok || id != c.Roots[m] {
			return nil
		}
	}
	if l.V1 == nil {
		l.V1 = map[string]string{}
	}
	if l.Named == nil {
		l.Named = map[string]string{}
	}
	l.UnifiedControllers = map[string]bool{}
	if l.Unified != "" {
		ctl, err := os.ReadFile(filepath.Join(l.Unified, "cgroup.controllers"))
		if err != nil {
			return nil
		}
		for _, f := range strings.Fields(string(ctl)) {
			l.UnifiedControllers[f] = true
		}
	}
	return l
}

// writeLayoutCache remembers l; a failure only means detecting next time.
func writeLayoutCache(file, key string, l *Layout) {
	c := layoutCache{Hierarchies: key, Layout: l, Roots: map[string][2]uint64{}}
	for _, m := range layoutMounts(l) {
		id, ok := rootID(m)
		if !ok {
			return
		}
		c.Roots[m] = id
	}
	b, err := json.Marshal(&c)
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(file), 0o700) == nil {
		atomicfile.WriteFile(file, b, 0o600)
	}
}
