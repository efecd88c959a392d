package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// CreateWithOptions is `volume create -d local -o ...`: docker's local
// driver options type, device and o (mount(8)'s), e.g. type=tmpfs
// device=tmpfs o=size=64m, or type=none o=bind device=/srv/data. The
// device is mounted on the volume's data directory when a container
// first uses it, and unmounted when the volume is removed.
func (v *VolumeStore) CreateWithOptions(name, driver string, labels, opts map[string]string) (*Volume, error) {
	if driver != "" && driver != "local" {
		return nil, exitErr(ExitEngine, "create %s: error looking up volume plugin %s: plugin %q not found", name, driver, driver)
	}
	for k := range opts {
		if k != "type" && k != "device" && k != "o" {
			return nil, exitErr(ExitEngine, "create %s: invalid option key: %q", name, k)
		}
	}
	if len(opts) > 0 {
		if opts["type"] == "" || opts["device"] == "" {
			return nil, exitErr(ExitEngine, "create %s: the local driver's options need type and device (type=tmpfs device=tmpfs, type=none o=bind device=PATH)", name)
		}
		if _, _, err := mountFlags(opts["o"]); err != nil {
			return nil, exitErr(ExitEngine, "create %s: %v", name, err)
		}
		if name != "" {
			if _, err := v.Get(name); err == nil {
				return nil, exitErr(ExitEngine, "create %s: a volume of that name exists", name)
			}
		}
	}
	return v.create(name, labels, false, opts)
}

// mountFlags splits o= into mount flags and data.
func mountFlags(o string) (uintptr, string, error) {
	var flags uintptr
	var data []string
	for _, opt := range strings.Split(o, ",") {
		switch opt {
		case "":
		case "bind":
			flags |= unix.MS_BIND
		case "rbind":
			flags |= unix.MS_BIND | unix.MS_REC
		case "ro":
			flags |= unix.MS_RDONLY
		case "nosuid":
			flags |= unix.MS_NOSUID
		case "nodev":
			flags |= unix.MS_NODEV
		case "noexec":
			flags |= unix.MS_NOEXEC
		case "rw":
		default:
			if strings.ContainsAny(opt, " \t\n") {
				return 0, "", fmt.Errorf("invalid mount option %q", opt)
			}
			data = append(data, opt)
		}
	}
	return flags, strings.Join(data, ","), nil
}

// mountVolume mounts a volume's device on its data directory unless it
// already is; volumes without options are plain directories.
func (v *VolumeStore) mountVolume(name string) error {
	vol, err := v.Get(name)
	if err != nil || len(vol.Options) == 0 {
		return nil
	}
	dir := v.dataDir(name)
	if isMountpoint(dir) {
		return nil
	}
	flags, data, _ := mountFlags(vol.Options["o"])
	typ, dev := vol.Options["type"], vol.Options["device"]
	if flags&unix.MS_BIND != 0 {
		typ = ""
		if st, err := os.Stat(dev); err != nil || !st.IsDir() {
			return exitErr(ExitEngine, "error while mounting volume '%s': failed to mount local volume: %s: no such directory", dir, dev)
		}
	}
	if err := unix.Mount(dev, dir, typ, flags&^unix.MS_RDONLY, data); err != nil {
		return exitErr(ExitEngine, "error while mounting volume '%s': failed to mount local volume: mount %s:%s, flags: %#x, data: %s: %v", dir, dev, dir, flags, data, err)
	}
	if flags&unix.MS_RDONLY != 0 {
		unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "")
	}
	return nil
}

// unmountVolume undoes mountVolume; a volume whose directory stays a
// mount point is not removed (RemoveAll would reach into a bound host
// directory).
func (v *VolumeStore) unmountVolume(name string) error {
	dir := v.dataDir(name)
	for i := 0; i < 8 && isMountpoint(dir); i++ {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("unmount volume %s: %w", name, err)
		}
	}
	if isMountpoint(dir) {
		return fmt.Errorf("unmount volume %s: still mounted", name)
	}
	return nil
}

// isMountpoint tells whether dir is mounted on (its device differs from
// its parent's, or the mount ids do for a bind of the same filesystem).
func isMountpoint(dir string) bool {
	var st, pst unix.Statx_t
	if unix.Statx(unix.AT_FDCWD, dir, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &st) != nil ||
		unix.Statx(unix.AT_FDCWD, filepath.Dir(dir), unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &pst) != nil {
		return false
	}
	return st.Mnt_id != pst.Mnt_id || st.Dev_major != pst.Dev_major || st.Dev_minor != pst.Dev_minor
}
