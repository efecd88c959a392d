package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/cgroups"
)

// ownCgroups maps "cgroup2" or a v1 controller list ("cpu,cpuacct",
// "name=systemd") to the calling process's cgroup path.
func ownCgroups() (map[string]string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out["cgroup2"] = parts[2]
		} else {
			out[parts[1]] = parts[2]
		}
	}
	return out, nil
}

func hasOption(h cgroups.Mount, opt string) bool {
	for _, o := range h.Options {
		if o == opt {
			return true
		}
	}
	return false
}

// mountCgroup gives the container its own cgroups at m.Destination. On a
// pure cgroup2 host that is one cgroup2 mount; on v1 and hybrid hosts, a
// tmpfs holding one directory per hierarchy, like the host's
// /sys/fs/cgroup. Inside a cgroup namespace each hierarchy is mounted fresh
// (the namespace makes the container's cgroup its root); without one, the
// container's own cgroup directory is bound, never the host's root.
func mountCgroup(r *Root, c *Config, m specs.Mount, flags uintptr) error {
	hosts, own, err := cgroupHosts(c)
	if err != nil {
		return err
	}
	ro := flags&unix.MS_RDONLY != 0
	flags &^= unix.MS_RDONLY | unix.MS_BIND | unix.MS_REC
	v1 := false
	for _, h := range hosts {
		v1 = v1 || h.Type == "cgroup"
	}
	if err := r.MkdirAll(m.Destination, 0o755, nil); err != nil {
		return err
	}
	if !v1 || m.Type == "cgroup2" {
		for _, h := range hosts {
			if h.Type == "cgroup2" {
				return mountHierarchy(r, c, m.Destination, h, own["cgroup2"], flags, ro)
			}
		}
		return fmt.Errorf("no cgroup2 hierarchy on the host")
	}
	fd, err := r.OpenFD(m.Destination, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Mount("tmpfs", fdPath(fd), "tmpfs", flags, "mode=755"); err != nil {
		return fmt.Errorf("mount tmpfs: %w", err)
	}
	unix.Close(fd)
	if fd, err = r.OpenFD(m.Destination, unix.O_PATH|unix.O_DIRECTORY); err != nil {
		return err
	}
	base := filepath.Dir(hosts[0].Point)
	for _, h := range hosts {
		if filepath.Dir(h.Point) != base {
			continue
		}
		path := ""
		for ctrls, p := range own {
			if ctrls == "cgroup2" && h.Type == "cgroup2" {
				path = p
			} else if ctrls != "cgroup2" && h.Type == "cgroup" && hasOption(h, strings.Split(ctrls, ",")[0]) {
				path = p
			}
		}
		dst := filepath.Join(m.Destination, filepath.Base(h.Point))
		if err := mountHierarchy(r, c, dst, h, path, flags, ro); err != nil {
			return err
		}
	}
	// A co-mounted hierarchy (cpu,cpuacct) is also reached by each
	// controller's name, as on the host: derived from the mount names, not
	// by reading the host's directory.
	for _, h := range hosts {
		name := filepath.Base(h.Point)
		if filepath.Dir(h.Point) != base || !strings.Contains(name, ",") {
			continue
		}
		for _, ctrl := range strings.Split(name, ",") {
			unix.Symlinkat(name, fd, ctrl)
		}
	}
	if ro {
		return remount(fdPath(fd), flags|unix.MS_RDONLY)
	}
	return nil
}

// cgroupHosts is the host's cgroup mounts (the runtime's, or found now)
// and the calling process's cgroup paths.
func cgroupHosts(c *Config) ([]cgroups.Mount, map[string]string, error) {
	hosts := c.CgroupMounts
	if hosts == nil {
		var err error
		if hosts, err = cgroups.Mounts(); err != nil {
			return nil, nil, err
		}
	}
	own, err := ownCgroups()
	return hosts, own, err
}

func mountHierarchy(r *Root, c *Config, dst string, h cgroups.Mount, own string, flags uintptr, ro bool) error {
	if err := r.MkdirAll(dst, 0o755, nil); err != nil {
		return err
	}
	fd, err := r.OpenFD(dst, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	target := fdPath(fd)
	if c.CgroupNS {
		var data []string
		for _, o := range h.Options {
			if o != "rw" && o != "ro" {
				data = append(data, o)
			}
		}
		if ro {
			flags |= unix.MS_RDONLY
		}
		if err := unix.Mount("cgroup", target, h.Type, flags, strings.Join(data, ",")); err != nil {
			return fmt.Errorf("mount %s %s: %w", h.Type, dst, err)
		}
		return nil
	}
	src := filepath.Join(h.Point, own)
	if err := unix.Mount(src, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s: %w", src, err)
	}
	mfd, err := r.OpenFD(dst, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	target = fdPath(mfd)
	if ro {
		flags |= unix.MS_RDONLY
	}
	return remount(target, flags)
}
