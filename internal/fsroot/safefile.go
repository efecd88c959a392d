package fsroot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// A container's files are the container's: a FIFO at /etc/passwd blocks
// an open for reading, a device node opens the host's device, and a
// directory can turn into a symlink between two syscalls. So the engine
// never opens a container file for its contents by name. It opens a Node
// (O_PATH, which neither blocks nor reaches a driver), checks its type on
// the descriptor, and only then reopens a regular file or a directory from
// that same descriptor.

// Node is a file found inside a root, held by an O_PATH descriptor, with
// its stat taken on that descriptor.
type Node struct {
	fd   int
	St   unix.Stat_t
	Name string // for messages
}

// Node finds rel inside the root; follow says whether a symlink as the
// last component is followed (inside the root) or is the node itself.
func (r *Root) Node(rel string, follow bool) (*Node, error) {
	flags := uint64(unix.O_PATH)
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := r.open(rel, flags, 0)
	if err != nil {
		return nil, err
	}
	return newNode(fd, rel)
}

// NodeAt finds the single name inside the directory dir without following
// it: the step of a walk that goes by directory descriptors, so a
// directory swapped for a symlink mid-walk is seen as the symlink.
func NodeAt(dir int, name string) (*Node, error) {
	fd, err := unix.Openat(dir, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return newNode(fd, name)
}

func newNode(fd int, name string) (*Node, error) {
	n := &Node{fd: fd, Name: name}
	if err := unix.Fstat(fd, &n.St); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	return n, nil
}

// Fd is the O_PATH descriptor (for *at syscalls relative to a directory).
func (n *Node) Fd() int { return n.fd }

// Type is the node's S_IFMT bits.
func (n *Node) Type() uint32 { return n.St.Mode & unix.S_IFMT }

// Close releases the descriptor.
func (n *Node) Close() error { return unix.Close(n.fd) }

// Readlink reads the node if it is a symlink.
func (n *Node) Readlink() (string, error) {
	if n.Type() != unix.S_IFLNK {
		return "", &os.PathError{Op: "readlink", Path: n.Name, Err: unix.EINVAL}
	}
	buf := make([]byte, unix.PathMax)
	k, err := unix.Readlinkat(n.fd, "", buf)
	if err != nil {
		return "", &os.PathError{Op: "readlink", Path: n.Name, Err: err}
	}
	return string(buf[:k]), nil
}

// ErrNotRegular is returned for contents asked of a FIFO, device, socket
// or symlink.
var ErrNotRegular = errors.New("not a regular file or directory")

// Reopen opens a regular file for reading or a directory for listing from
// the node's own descriptor (the same inode, whatever its name now is).
// Anything else is refused: the engine never opens a container's FIFO or
// device node.
func (n *Node) Reopen() (*os.File, error) {
	var fd int
	var err error
	switch n.Type() {
	case unix.S_IFDIR:
		fd, err = unix.Openat(n.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	case unix.S_IFREG:
		// O_NONBLOCK: should the inode be anything else after all, the
		// open must not wait for a writer.
		fd, err = unix.Open("/proc/self/fd/"+strconv.Itoa(n.fd), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	default:
		return nil, &os.PathError{Op: "open", Path: n.Name, Err: ErrNotRegular}
	}
	if err != nil {
		return nil, &os.PathError{Op: "reopen", Path: n.Name, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Dev != n.St.Dev || st.Ino != n.St.Ino {
		unix.Close(fd)
		return nil, fmt.Errorf("reopen %s: the file changed while it was opened", n.Name)
	}
	return os.NewFile(uintptr(fd), n.Name), nil
}

// ReadRegular reads rel (symlinks followed inside the root) if it is a
// regular file of at most limit bytes: /etc/passwd as a FIFO, a link to
// /dev/zero or a 10 GB file is an error, not a hang.
func (r *Root) ReadRegular(rel string, limit int64) ([]byte, error) {
	n, err := r.Node(rel, true)
	if err != nil {
		return nil, err
	}
	defer n.Close()
	if n.Type() != unix.S_IFREG {
		return nil, &os.PathError{Op: "read", Path: rel, Err: ErrNotRegular}
	}
	f, err := n.Reopen()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: rel, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("read %s: larger than %d bytes", rel, limit)
	}
	return data, nil
}

// OpenView opens a private view of a container's root for the engine: a
// detached clone of the mount at dir, nodev and nosuid, so that nothing
// the engine does through it can reach a device the container planted.
// The view goes away when the Root is closed. Where no clone can be made
// (a kernel without the new mount API, an unbindable mount, no privilege
// over the mount namespace) it is dir itself: every open through a Root
// is type-checked anyway, nodev is the second wall.
func OpenView(dir string) (*Root, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) {
		return Open(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open a view of %s: %w", dir, err)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOSUID}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil && !errors.Is(err, unix.ENOSYS) {
		unix.Close(fd)
		return nil, fmt.Errorf("make the view of %s nodev: %w", dir, err)
	}
	return &Root{fd: fd, path: dir, resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}, nil
}

// OpenProcessRoot opens the root a running process sees (/proc/PID/root):
// its mounts, volumes and tmpfs included. The pid is pinned by a pidfd,
// so a pid reused by another process after an exit is noticed.
func OpenProcessRoot(pid int) (*Root, error) {
	pfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("process %d: %w", pid, err)
	}
	defer unix.Close(pfd)
	p := "/proc/" + strconv.Itoa(pid) + "/root"
	fd, err := unix.Open(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	// The pidfd names the process we meant; if it is still alive, the
	// /proc entry we opened was its.
	if err := unix.PidfdSendSignal(pfd, 0, nil, 0); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("process %d exited", pid)
	}
	return &Root{fd: fd, path: p, resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}, nil
}

// Fd is the root directory's descriptor.
func (r *Root) Fd() int { return r.fd }
