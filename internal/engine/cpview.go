package engine

import (
	"os"
	"path"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/fsroot"
	"github.com/jinn-containers/jinn/internal/monitor"
)

// cpView is what cp reads and writes: the filesystem as the container
// sees it. A running container's is its own root (/proc/PID/root, pinned
// by a pidfd), with its volumes, binds and tmpfs mounted. A stopped
// container's is a nodev view of its root with each volume and bind
// mapped to its host source, as docker mounts them for cp.
type cpView struct {
	root   *fsroot.Root
	mounts []cpMount // stopped: longest destination first
}

type cpMount struct {
	dest string
	root *fsroot.Root
	sub  string // dest's path inside root ("" for a directory source)
}

func (e *Local) openCpView(c *Container) (*cpView, error) {
	if st := e.liveState(c); st.Pid > 0 && (st.Status == monitor.StatusRunning || st.Status == monitor.StatusPaused) {
		if r, err := fsroot.OpenProcessRoot(st.Pid); err == nil {
			return &cpView{root: r}, nil
		}
		// It exited meanwhile: its files are where a stopped one's are.
	}
	if err := e.mountRootfs(c); err != nil {
		return nil, err
	}
	r, err := fsroot.OpenView(e.rootPath(c))
	if err != nil {
		return nil, err
	}
	v := &cpView{root: r}
	for _, m := range c.Mounts {
		if (m.Type != "bind" && m.Type != "volume") || m.Source == "" {
			continue
		}
		// Where the runtime mounts it: through the image's symlinks.
		cm := cpMount{dest: path.Clean(m.Destination)}
		if d, err := r.Resolve(m.Destination); err == nil {
			cm.dest = d
		}
		src := m.Source
		if fi, err := os.Stat(src); err == nil && !fi.IsDir() {
			src, cm.sub = path.Dir(src), path.Base(src) // a file bind
		}
		if cm.root, err = fsroot.Open(src); err != nil {
			continue // a bind source gone from the host: the rootfs's dir
		}
		v.mounts = append(v.mounts, cm)
	}
	sort.Slice(v.mounts, func(i, j int) bool { return len(v.mounts[i].dest) > len(v.mounts[j].dest) })
	return v, nil
}

func (v *cpView) Close() {
	v.root.Close()
	for _, m := range v.mounts {
		m.root.Close()
	}
}

// real is where p lands in a stopped container's root, symlinks followed
// inside it (the last one only if follow): a path through an image's
// symlink meets the mount the runtime made at the symlink's target.
func (v *cpView) real(p string, follow bool) string {
	p = path.Clean("/" + p)
	if len(v.mounts) == 0 || p == "/" {
		return p
	}
	dir, base := p, ""
	if !follow {
		dir, base = path.Split(p)
	}
	if r, err := v.root.Resolve(dir); err == nil {
		return path.Join(r, base)
	}
	return p
}

// locate maps a container path to the root that holds it and the path
// inside that root.
func (v *cpView) locate(p string, follow bool) (*fsroot.Root, string) {
	p = v.real(p, follow)
	for _, m := range v.mounts {
		if p == m.dest || strings.HasPrefix(p, m.dest+"/") || m.dest == "/" {
			return m.root, path.Join("/", m.sub, strings.TrimPrefix(p, m.dest))
		}
	}
	return v.root, p
}

// mountAt is the mount whose destination is exactly p, for a walk that
// steps from the rootfs onto it.
func (v *cpView) mountAt(p string) (*fsroot.Root, string, bool) {
	for _, m := range v.mounts {
		if m.dest == p {
			return m.root, path.Join("/", m.sub), true
		}
	}
	return nil, "", false
}

// cpWritable refuses a copy into what the container cannot write: a
// --read-only rootfs outside its writable volumes, or a read-only mount.
func cpWritable(c *Container, dst string) error {
	dst = path.Clean("/" + dst)
	var best *MountPoint
	for i := range c.Mounts {
		m := &c.Mounts[i]
		d := path.Clean(m.Destination)
		if dst == d || strings.HasPrefix(dst, d+"/") || d == "/" {
			if best == nil || len(d) > len(best.Destination) {
				best = m
			}
		}
	}
	switch {
	case best != nil && !best.RW:
		return exitErr(ExitEngine, "mounted volume is marked read-only")
	case best == nil && c.Host.ReadonlyRootfs:
		return exitErr(ExitEngine, "container rootfs is marked read-only")
	}
	return nil
}

// kernelFS are the filesystems whose files are the kernel's, not the
// container's: a copy out of a running container lists their mount
// points but never reads into them (/proc/kcore, sysfs's fake sizes).
var kernelFS = map[int64]bool{
	unix.PROC_SUPER_MAGIC: true, unix.SYSFS_MAGIC: true, unix.CGROUP_SUPER_MAGIC: true,
	unix.CGROUP2_SUPER_MAGIC: true, unix.DEVPTS_SUPER_MAGIC: true, mqueueMagic: true,
	unix.SECURITYFS_MAGIC: true, unix.DEBUGFS_MAGIC: true, unix.TRACEFS_MAGIC: true,
	unix.BPF_FS_MAGIC: true, unix.SELINUX_MAGIC: true,
}

const mqueueMagic = 0x19800202

func onKernelFS(fd int) bool {
	var s unix.Statfs_t
	return unix.Fstatfs(fd, &s) == nil && kernelFS[int64(s.Type)]
}
