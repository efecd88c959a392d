package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/network"
)

// NetworkSetup is where networking happens: after the engine made the
// container's network namespace and before the runtime's create. The
// network package implements it for bridges and ports.
type NetworkSetup interface {
	// Setup configures the namespace at nsPath for c.
	Setup(c *Container, nsPath string) error
	// Teardown undoes Setup; it must be idempotent.
	Teardown(c *Container, nsPath string) error
}

func (e *Local) netnsPath(id string) string { return filepath.Join(e.cfg.RunRoot, "netns", id) }

// makeNetns makes a network namespace bound at the container's netns path,
// with lo up, the way podman does: the runtime joins it by path, so the
// network is ready before the container's process exists.
func (e *Local) makeNetns(c *Container) (string, error) {
	path := e.netnsPath(c.ID)
	if isNsfs(path) { // a restart: set up again what the last stop tore down
		if err := e.net.Setup(c, path); err != nil {
			return "", fmt.Errorf("network setup: %w", err)
		}
		return path, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o600)
	if err != nil && !os.IsExist(err) {
		return "", fmt.Errorf("create netns file: %w", err)
	}
	// The replay: the file, a namespace of its own bound on it, lo up.
	e.rec().Op("netns", path)
	if f != nil {
		f.Close()
	}
	errc := make(chan error, 1)
	// A thread of its own: if it cannot return to the host's namespace it
	// stays locked and dies with the goroutine.
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare network namespace: %w", err)
			return
		}
		err = unix.Mount("/proc/thread-self/ns/net", path, "", unix.MS_BIND, "")
		if err == nil {
			err = loUp()
		}
		if serr := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); serr != nil {
			errc <- fmt.Errorf("return to host network namespace: %w", serr)
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	if err := <-errc; err != nil {
		e.removeNetns(c)
		return "", fmt.Errorf("make network namespace: %w", err)
	}
	if err := e.net.Setup(c, path); err != nil {
		e.removeNetns(c)
		return "", fmt.Errorf("network setup: %w", err)
	}
	return path, nil
}

// loUp brings lo up in the calling thread's network namespace.
func loUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	return nil
}

func isNsfs(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.NSFS_MAGIC
}

// netReleaser is a NetworkSetup that can leave a removed container's
// veths to the kernel's teardown of its namespace (bridgeNet.Release).
type netReleaser interface {
	Release(c *Container, unbind func() error) error
}

func (e *Local) removeNetns(c *Container) {
	path := e.netnsPath(c.ID)
	if r, ok := e.net.(netReleaser); ok && isNsfs(path) {
		// Still bound, so the veths' container ends are in it: once
		// unbound, the kernel deletes them with the namespace, and the
		// removal does not wait for their rcu_barrier.
		r.Release(c, func() error {
			e.rec().Op("umount", path)
			e.rec().Op("unlink", path)
			return network.RemoveNetns(path)
		})
		return
	}
	// The namespace's unmount waits for a grace period (namespace_unlock)
	// and a veth's deletion for an rcu_barrier: they go side by side. The
	// teardown sees the namespace through an fd (whether it is still
	// there tells a lost setup), which keeps it alive until then, as the
	// mount did.
	nsPath := path
	if fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		defer unix.Close(fd)
		nsPath = "/proc/self/fd/" + strconv.Itoa(fd)
	}
	unmounted := make(chan struct{})
	go func() {
		defer close(unmounted)
		unix.Unmount(path, unix.MNT_DETACH)
		os.Remove(path)
	}()
	// Whether or not the namespace is still there (a reboot, a damaged
	// container): the records of its veth, address and rules go by id.
	e.net.Teardown(c, nsPath)
	<-unmounted
}
