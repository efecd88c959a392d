// Package rootfs builds a container's root filesystem inside its mount
// namespace: the spec's mounts, device nodes, /dev links, the console,
// pivot_root and the masked and read-only paths. Every target is resolved
// inside the rootfs (openat2 RESOLVE_IN_ROOT) and mounted through its
// descriptor, never through a joined string.
package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/mountinfo"
)

type flagOpt struct {
	clear bool
	flag  uintptr
}

var mountFlags = map[string]flagOpt{
	"acl": {false, unix.MS_POSIXACL}, "async": {true, unix.MS_SYNCHRONOUS},
	"atime": {true, unix.MS_NOATIME}, "bind": {false, unix.MS_BIND},
	"defaults": {false, 0}, "dev": {true, unix.MS_NODEV},
	"diratime": {true, unix.MS_NODIRATIME}, "dirsync": {false, unix.MS_DIRSYNC},
	"exec": {true, unix.MS_NOEXEC}, "iversion": {false, unix.MS_I_VERSION},
	"lazytime": {false, unix.MS_LAZYTIME}, "loud": {true, unix.MS_SILENT},
	"mand": {false, unix.MS_MANDLOCK}, "noacl": {true, unix.MS_POSIXACL},
	"noatime": {false, unix.MS_NOATIME}, "nodev": {false, unix.MS_NODEV},
	"nodiratime": {false, unix.MS_NODIRATIME}, "noexec": {false, unix.MS_NOEXEC},
	"noiversion": {true, unix.MS_I_VERSION}, "nolazytime": {true, unix.MS_LAZYTIME},
	"nomand": {true, unix.MS_MANDLOCK}, "norelatime": {true, unix.MS_RELATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME}, "nosuid": {false, unix.MS_NOSUID},
	"rbind": {false, unix.MS_BIND | unix.MS_REC}, "relatime": {false, unix.MS_RELATIME},
	"remount": {false, unix.MS_REMOUNT}, "ro": {false, unix.MS_RDONLY},
	"rw": {true, unix.MS_RDONLY}, "silent": {false, unix.MS_SILENT},
	"strictatime": {false, unix.MS_STRICTATIME}, "suid": {true, unix.MS_NOSUID},
	"sync": {false, unix.MS_SYNCHRONOUS},
}

var propagationFlags = map[string]uintptr{
	"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
	"unbindable": unix.MS_UNBINDABLE, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// ignoredOptions are understood elsewhere or meaningless to mount(2).
var ignoredOptions = map[string]bool{"tmpcopyup": true, "notmpcopyup": true, "idmap": true, "ridmap": true, "copy-symlink": true}

// ParseOptions splits spec mount options into mount(2) flags, propagation
// flags and the filesystem data string.
func ParseOptions(opts []string) (flags uintptr, prop []uintptr, data string) {
	var d []string
	for _, o := range opts {
		if f, ok := mountFlags[o]; ok {
			if f.clear {
				flags &^= f.flag
			} else {
				flags |= f.flag
			}
		} else if p, ok := propagationFlags[o]; ok {
			prop = append(prop, p)
		} else if _, ok := recursiveOptions[o]; ok {
			// recattr.go, after the mount
		} else if !ignoredOptions[o] {
			d = append(d, o)
		}
	}
	return flags, prop, strings.Join(d, ",")
}

// Options are the MountOptions names a runtime can report in features.
func Options() []string {
	var out []string
	for k := range mountFlags {
		out = append(out, k)
	}
	for k := range propagationFlags {
		out = append(out, k)
	}
	for k := range recursiveOptions {
		out = append(out, k)
	}
	return append(out, "tmpcopyup")
}

// Config is what Setup needs from the spec and the runtime.
type Config struct {
	Rootfs   string // absolute host path of the root filesystem
	Bundle   string // for relative bind sources
	Spec     *specs.Spec
	UserNS   bool // device nodes cannot be made: bind the host's
	CgroupNS bool // cgroup mounts are fresh, not binds of our own cgroup
	// BeforeCgroup runs before the first cgroup mount: the process must be
	// in its cgroup (and cgroup namespace) by then.
	BeforeCgroup func() error
	// RootfsFd, if not 0, is a detached (idmapped) clone of the rootfs to
	// mount over it instead of binding it to itself.
	RootfsFd int
	// MountFds are detached idmapped bind mounts by index in Spec.Mounts.
	MountFds map[int]int
	// HostMounts: the config has no mount namespace, so the container is
	// in the runtime's (config-linux.md: it "MUST inherit the runtime
	// namespace of that type"). Its mounts are made there, under the
	// rootfs, and the root is entered by chroot: nothing above the rootfs
	// is touched. Delete takes them away (UnmountUnder).
	HostMounts bool
	// CgroupMounts are the host's cgroup mounts as the runtime found them
	// (the container's new mount namespace is a copy of the runtime's);
	// nil: find them here.
	CgroupMounts []cgroups.Mount
}

// Prepare gives the mount tree the spec's rootfsPropagation (rprivate by
// default) and makes the rootfs a mount point of its own, as pivot_root
// needs. As runc does, the propagation is taken as given (shared keeps the
// host's peer groups, so an rshared bind mount stays in its source's), and
// only the mount holding the rootfs is made private: the rootfs bind then
// propagates nowhere and pivot_root accepts it, and an unbindable tree
// still lets the rootfs be bound.
func Prepare(c *Config) (*Root, error) {
	if c.HostMounts {
		if c.Spec.Root.Readonly { // a mount of its own, to make read-only
			if err := unix.Mount(c.Rootfs, c.Rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
				return nil, fmt.Errorf("bind rootfs %s: %w", c.Rootfs, err)
			}
		}
		return OpenRoot(c.Rootfs)
	}
	prop := uintptr(unix.MS_PRIVATE | unix.MS_REC)
	if p, ok := propagationFlags[c.Spec.Linux.RootfsPropagation]; ok {
		prop = p
	} else if c.Spec.Linux.RootfsPropagation != "" {
		return nil, fmt.Errorf("invalid rootfsPropagation %q", c.Spec.Linux.RootfsPropagation)
	}
	if err := unix.Mount("", "/", "", prop, ""); err != nil {
		return nil, fmt.Errorf("make / %s: %w", c.Spec.Linux.RootfsPropagation, err)
	}
	if prop != unix.MS_PRIVATE|unix.MS_REC {
		mp, err := mountPointOf(c.Rootfs)
		if err != nil {
			return nil, err
		}
		if err := unix.Mount("", mp, "", unix.MS_PRIVATE, ""); err != nil {
			return nil, fmt.Errorf("make %s private: %w", mp, err)
		}
	}
	if c.RootfsFd > 0 {
		err := unix.MoveMount(c.RootfsFd, "", unix.AT_FDCWD, c.Rootfs, unix.MOVE_MOUNT_F_EMPTY_PATH)
		unix.Close(c.RootfsFd)
		if err != nil {
			return nil, fmt.Errorf("mount idmapped rootfs %s: %w", c.Rootfs, err)
		}
	} else if err := unix.Mount(c.Rootfs, c.Rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return nil, fmt.Errorf("bind rootfs %s: %w", c.Rootfs, err)
	}
	return OpenRoot(c.Rootfs)
}

// MountAll mounts the spec's mounts in order inside the root.
func MountAll(r *Root, c *Config) error {
	for i, m := range c.Spec.Mounts {
		err := error(nil)
		if fd, ok := c.MountFds[i]; ok { // idmapped, made by the runtime
			err = moveMount(r, m, fd)
		} else {
			err = mountOne(r, c, m)
		}
		if err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.Source, m.Destination, err)
		}
	}
	return nil
}

func isBind(m specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	for _, o := range m.Options {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}

func isCgroup(m specs.Mount) bool { return m.Type == "cgroup" || m.Type == "cgroup2" }

// enterCgroup runs BeforeCgroup, before the first cgroup mount.
func (c *Config) enterCgroup() error {
	if c.BeforeCgroup == nil {
		return nil
	}
	return c.BeforeCgroup()
}

func mountOne(r *Root, c *Config, m specs.Mount) error {
	if !filepath.IsAbs(m.Destination) {
		return fmt.Errorf("destination is not absolute")
	}
	flags, prop, data := ParseOptions(m.Options)
	if isCgroup(m) {
		if err := c.enterCgroup(); err != nil {
			return err
		}
		return mountCgroup(r, c, m, flags)
	}
	if err := checkProcMount(r, c, m); err != nil {
		return err
	}
	if err := checkKernelFSTarget(r, m); err != nil {
		return err
	}
	src := m.Source
	if isBind(m) {
		if !filepath.IsAbs(src) {
			src = filepath.Join(c.Bundle, src)
		}
		fi, err := os.Stat(src)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			err = r.MkdirAll(m.Destination, 0o755, nil)
		} else {
			err = r.MkFile(m.Destination)
		}
		if err != nil {
			return err
		}
		flags |= unix.MS_BIND
	} else if err := r.MkdirAll(m.Destination, 0o755, nil); err != nil {
		return err
	}
	fd, err := r.OpenFD(m.Destination, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	target := fdPath(fd)
	typ := m.Type
	if typ == "bind" || typ == "none" {
		typ = ""
	}
	rest := flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT)
	if flags&unix.MS_BIND != 0 {
		// A bind ignores most flags: bind first, then remount with them.
		if err := unix.Mount(src, target, typ, flags&(unix.MS_BIND|unix.MS_REC), data); err != nil {
			return err
		}
	} else if err := unix.Mount(src, target, typ, flags, data); err != nil {
		if data == "" {
			return err
		}
		return fmt.Errorf("%w (data %q)", err, data)
	}
	rattr := recursiveAttr(m.Options)
	if (flags&unix.MS_BIND == 0 || rest == 0) && len(prop) == 0 && rattr == nil {
		return nil
	}
	// The descriptor names the directory under the new mount: reopen.
	mfd, err := r.OpenFD(m.Destination, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	target = fdPath(mfd)
	if flags&unix.MS_BIND != 0 && rest != 0 {
		if err := remount(target, rest); err != nil {
			return err
		}
	}
	for _, p := range prop {
		if err := unix.Mount("", target, "", p, ""); err != nil {
			return fmt.Errorf("set propagation: %w", err)
		}
	}
	if rattr != nil {
		return setRecursive(mfd, rattr)
	}
	return nil
}

// remount applies flags to a bind mount, keeping the flags the kernel locks
// on it (nosuid, nodev, noexec in a user namespace).
func remount(target string, flags uintptr) error {
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err == nil {
		for _, f := range []struct{ st, ms uintptr }{
			{unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV},
			{unix.ST_NOEXEC, unix.MS_NOEXEC}, {unix.ST_RDONLY, unix.MS_RDONLY},
			{unix.ST_NOATIME, unix.MS_NOATIME}, {unix.ST_RELATIME, unix.MS_RELATIME},
			{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		} {
			if uintptr(st.Flags)&f.st != 0 && f.ms != unix.MS_RDONLY {
				flags |= f.ms
			}
		}
	}
	if err := unix.Mount("", target, "", flags|unix.MS_BIND|unix.MS_REMOUNT, ""); err != nil {
		return fmt.Errorf("remount: %w", err)
	}
	return nil
}

// mountPointOf is the mount point of the mount that holds path: the
// longest mount point that contains it.
func mountPointOf(path string) (string, error) {
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("find the mount of %s: %w", path, err)
	}
	mps, err := mountinfo.MountPoints()
	if err != nil {
		return "", err
	}
	best := "/"
	for _, mp := range mps {
		if (p == mp || strings.HasPrefix(p, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best = mp
		}
	}
	return best, nil
}

// UnmountUnder detaches every mount at or below dir, deepest first: what a
// container without a mount namespace left in the runtime's.
func UnmountUnder(dir string) error {
	all, err := mountinfo.MountPoints()
	if err != nil {
		return err
	}
	var mps []string
	for _, mp := range all {
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			mps = append(mps, mp)
		}
	}
	// Longer paths first: children before their parents. A path mounted
	// twice is detached twice.
	sort.SliceStable(mps, func(i, j int) bool { return len(mps[i]) > len(mps[j]) })
	for _, mp := range mps {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			return fmt.Errorf("unmount %s: %w", mp, err)
		}
	}
	return nil
}
