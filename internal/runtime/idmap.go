package runtime

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// idmappedRootfs returns a detached, idmapped clone of the rootfs for a
// container in a new user namespace whose rootfs owner is not mapped (an
// image unpacked by host root, run with uids 0-65535 mapped to 200000...):
// without it every file would belong to nobody inside. The clone maps the
// files' owners through the container's own mappings, so root-owned files
// are root's inside and files the container makes are owned by the mapped
// ids on disk. The init moves it over the rootfs (rootfs.Config.RootfsFd).
//
// It returns nil when nothing is to be done, and when the filesystem cannot
// be idmapped, in which case the owners are shifted on disk instead.
func idmappedRootfs(spec *specs.Spec, rootfs string) *os.File {
	ns, ok := nsOf(spec, specs.UserNamespace)
	if !ok || ns.Path != "" || len(spec.Linux.UIDMappings) == 0 || os.Geteuid() != 0 {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Stat(rootfs, &st); err != nil || mapped(spec.Linux.UIDMappings, st.Uid) {
		return nil
	}
	f, err := idmapClone(rootfs, spec.Linux.UIDMappings, spec.Linux.GIDMappings)
	if err == nil {
		return f
	}
	// The filesystem cannot be idmapped: shift the owners on disk instead
	// (once: the rootfs owner is mapped afterwards), as engines do.
	if cerr := shiftOwners(rootfs, spec.Linux.UIDMappings, spec.Linux.GIDMappings); cerr != nil {
		slog.Warn("rootfs neither idmapped nor chowned: its files show as nobody in the container",
			"rootfs", rootfs, "idmap", err, "chown", cerr)
	}
	return nil
}

// shiftOwners chowns every file of the rootfs from container ids to the
// host ids the mappings give them, without following symlinks or leaving
// the filesystem. Ids outside the mappings are left alone.
func shiftOwners(rootfs string, uids, gids []specs.LinuxIDMapping) error {
	var st0 unix.Stat_t
	if err := unix.Lstat(rootfs, &st0); err != nil {
		return err
	}
	return filepath.WalkDir(rootfs, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		if st.Dev != st0.Dev {
			return filepath.SkipDir // a mount inside: not the image's
		}
		u, uok := toHost(uids, st.Uid)
		g, gok := toHost(gids, st.Gid)
		if !uok && !gok {
			return nil
		}
		if !uok {
			u = st.Uid
		}
		if !gok {
			g = st.Gid
		}
		if err := unix.Lchown(p, int(u), int(g)); err != nil {
			return err
		}
		// chown clears setuid/setgid bits: put them back (not on links).
		if st.Mode&(unix.S_ISUID|unix.S_ISGID) != 0 && st.Mode&unix.S_IFMT != unix.S_IFLNK {
			return unix.Chmod(p, st.Mode&07777)
		}
		return nil
	})
}

// chownToContainerRoot gives path to the host ids of the container's
// root when it has a user namespace with mappings.
func chownToContainerRoot(path string, l *specs.Linux) error {
	if l == nil || len(l.UIDMappings) == 0 {
		return nil
	}
	uid, ok := toHost(l.UIDMappings, 0)
	if !ok {
		return nil
	}
	gid, ok := toHost(l.GIDMappings, 0)
	if !ok {
		gid = 0
	}
	if err := os.Lchown(path, int(uid), int(gid)); err != nil {
		return fmt.Errorf("chown %s to the container's root: %w", path, err)
	}
	return nil
}

// toHost maps a container id to its host id.
func toHost(ms []specs.LinuxIDMapping, id uint32) (uint32, bool) {
	for _, m := range ms {
		if id >= m.ContainerID && id-m.ContainerID < m.Size {
			return m.HostID + (id - m.ContainerID), true
		}
	}
	return 0, false
}

// mapped says whether host id falls in one of the mappings' host ranges.
func mapped(ms []specs.LinuxIDMapping, id uint32) bool {
	for _, m := range ms {
		if id >= m.HostID && id-m.HostID < m.Size {
			return true
		}
	}
	return false
}

func idmapClone(rootfs string, uids, gids []specs.LinuxIDMapping) (*os.File, error) {
	return idmapTree(rootfs, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE, uids, gids)
}

// idmapTree clones the mount at path (open_tree flags) and idmaps it
// through a user namespace with the given mappings.
func idmapTree(path string, flags uint, uids, gids []specs.LinuxIDMapping) (*os.File, error) {
	userns, err := usernsWith(uids, gids)
	if err != nil {
		return nil, err
	}
	defer unix.Close(userns)
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, flags)
	if err != nil {
		return nil, fmt.Errorf("open_tree %s: %w", path, err)
	}
	setFlags := uint(unix.AT_EMPTY_PATH)
	if flags&unix.AT_RECURSIVE != 0 {
		setFlags |= unix.AT_RECURSIVE
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns)}
	if err := unix.MountSetattr(fd, "", setFlags, &attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mount_setattr idmap: %w", err)
	}
	return os.NewFile(uintptr(fd), "idmapped"), nil
}

// usernsWith makes a user namespace with the given mappings and returns an
// fd on it: a child of ours is started in it, stopped at its execve by
// ptrace (so it runs nothing), its namespace opened, and killed.
func usernsWith(uids, gids []specs.LinuxIDMapping) (int, error) {
	runtime.LockOSThread() // ptrace: the tracer is this thread
	defer runtime.UnlockOSThread()
	attr := &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUSER, Ptrace: true,
		UidMappings: idMaps(uids), GidMappings: idMaps(gids), GidMappingsEnableSetgroups: true}
	pid, err := syscall.ForkExec("/proc/self/exe", []string{"jinn-runtime-userns"}, &syscall.ProcAttr{Sys: attr})
	if err != nil {
		return -1, fmt.Errorf("make a user namespace for idmapping: %w", err)
	}
	defer func() {
		unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		for {
			if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
				break
			}
		}
	}()
	fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/user", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open user namespace: %w", err)
	}
	return fd, nil
}

// idmappedMounts makes a detached idmapped clone of the source of every
// bind mount that has uidMappings/gidMappings (runtime-spec 1.2 idmapped
// mounts), keyed by the mount's index; the init attaches them. Idmapping
// needs privilege over the source's filesystem, which only the runtime on
// the host has.
func idmappedMounts(spec *specs.Spec, bundle string) (map[int]*os.File, error) {
	var out map[int]*os.File
	for i, m := range spec.Mounts {
		if len(m.UIDMappings) == 0 && len(m.GIDMappings) == 0 {
			continue
		}
		fail := func(err error) (map[int]*os.File, error) {
			for _, f := range out {
				f.Close()
			}
			return nil, fmt.Errorf("idmapped mount %s on %s: %w", m.Source, m.Destination, err)
		}
		if len(m.UIDMappings) == 0 || len(m.GIDMappings) == 0 {
			return fail(fmt.Errorf("needs both uidMappings and gidMappings"))
		}
		bind, recursive := m.Type == "bind", false
		for _, o := range m.Options {
			bind = bind || o == "bind" || o == "rbind"
			recursive = recursive || o == "rbind" || o == "ridmap"
		}
		if !bind {
			return fail(fmt.Errorf("only bind mounts can be idmapped"))
		}
		src := m.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(bundle, src)
		}
		flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
		if recursive {
			flags |= unix.AT_RECURSIVE
		}
		f, err := idmapTree(src, flags, m.UIDMappings, m.GIDMappings)
		if err != nil {
			return fail(err)
		}
		if out == nil {
			out = map[int]*os.File{}
		}
		out[i] = f
	}
	return out, nil
}
