package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
		if strings.ContainsAny(opts["o"], " \t\n") {
			return nil, exitErr(ExitEngine, "create %s: invalid mount options %q", name, opts["o"])
		}
		if name != "" {
			if _, err := v.Get(name); err == nil {
				return nil, exitErr(ExitEngine, "create %s: a volume of that name exists", name)
			}
		}
	}
	return v.create(name, labels, false, opts)
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
	m := Mount{Type: vol.Options["type"], Source: vol.Options["device"], Options: strings.Split(vol.Options["o"], ",")}
	if slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind") {
		if st, err := os.Stat(m.Source); err != nil || !st.IsDir() {
			return exitErr(ExitEngine, "error while mounting volume '%s': failed to mount local volume: %s: no such directory", dir, m.Source)
		}
	}
	if err := mountOn(m, dir); err != nil {
		return exitErr(ExitEngine, "error while mounting volume '%s': failed to mount local volume: mount %s:%s, options %s: %v", dir, m.Source, dir, vol.Options["o"], err)
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
