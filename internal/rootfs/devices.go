package rootfs

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func dev(path string, major, minor int64) specs.LinuxDevice {
	mode := os.FileMode(0o666)
	return specs.LinuxDevice{Path: path, Type: "c", Major: major, Minor: minor, FileMode: &mode}
}

// DefaultDevices are the nodes every container gets (runtime-spec
// "Default Devices").
var DefaultDevices = []specs.LinuxDevice{
	dev("/dev/null", 1, 3), dev("/dev/zero", 1, 5), dev("/dev/full", 1, 7),
	dev("/dev/random", 1, 8), dev("/dev/urandom", 1, 9), dev("/dev/tty", 5, 0),
}

// Devices makes the default devices, then linux.devices, then /dev's links.
func Devices(r *Root, c *Config) error {
	all := append([]specs.LinuxDevice{}, DefaultDevices...)
	if c.Spec.Linux != nil {
		all = append(all, c.Spec.Linux.Devices...)
	}
	old := unix.Umask(0)
	defer unix.Umask(old)
	for _, d := range all {
		if err := makeDevice(r, c, d); err != nil {
			return fmt.Errorf("device %s: %w", d.Path, err)
		}
	}
	for _, l := range [][2]string{
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
	} {
		if err := link(r, l[0], "/dev/"+l[1]); err != nil {
			return err
		}
	}
	if _, err := os.Stat("/proc/kcore"); err == nil {
		return link(r, "/proc/kcore", "/dev/core")
	}
	return nil
}

// link makes a symlink at p unless something is there already.
func link(r *Root, target, p string) error {
	pfd, name, err := r.Parent(p)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	if err := unix.Symlinkat(target, pfd, name); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("symlink %s: %w", p, err)
	}
	return nil
}

// node is what mknod makes for d: its file type and mode, and its owner.
type node struct {
	typ, mode uint32
	uid, gid  int
}

func nodeOf(d specs.LinuxDevice) (node, error) {
	n := node{mode: 0o666}
	switch d.Type {
	case "c", "u":
		n.typ = unix.S_IFCHR
	case "b":
		n.typ = unix.S_IFBLK
	case "p":
		n.typ = unix.S_IFIFO
	default:
		return n, fmt.Errorf("unknown device type %q", d.Type)
	}
	if d.FileMode != nil {
		n.mode = uint32(d.FileMode.Perm())
	}
	if d.UID != nil {
		n.uid = int(*d.UID)
	}
	if d.GID != nil {
		n.gid = int(*d.GID)
	}
	return n, nil
}

func makeDevice(r *Root, c *Config, d specs.LinuxDevice) error {
	n, err := nodeOf(d)
	if err != nil {
		return err
	}
	typ, mode := n.typ, n.mode
	if c.UserNS {
		// mknod is denied in a user namespace: bind the host's node.
		if err := r.MkFile(d.Path); err != nil {
			return err
		}
		fd, err := r.OpenFD(d.Path, unix.O_PATH)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.Mount(d.Path, fdPath(fd), "", unix.MS_BIND, "")
	}
	pfd, name, err := r.Parent(d.Path)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	// config-linux.md: "If a file already exists at path that does not
	// match the requested device, the runtime MUST generate an error."
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		if st.Mode&unix.S_IFMT != typ || (typ != unix.S_IFIFO && st.Rdev != unix.Mkdev(uint32(d.Major), uint32(d.Minor))) {
			return fmt.Errorf("device %s: a file that is not this device is already there", d.Path)
		}
		unix.Unlinkat(pfd, name, 0)
	}
	if err := unix.Mknodat(pfd, name, typ|mode, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))); err != nil {
		return fmt.Errorf("mknod: %w", err)
	}
	if n.uid != 0 || n.gid != 0 {
		return unix.Fchownat(pfd, name, n.uid, n.gid, unix.AT_SYMLINK_NOFOLLOW)
	}
	return nil
}
