package rootfs

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// moveMount attaches a detached mount (an idmapped bind the runtime made on
// the host, where idmapping is allowed) at m.Destination, resolved inside
// the root, then applies m's flags.
func moveMount(r *Root, m specs.Mount, fd int) error {
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	var err error
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		err = r.MkdirAll(m.Destination, 0o755, nil)
	} else {
		err = r.MkFile(m.Destination)
	}
	if err != nil {
		return err
	}
	tfd, err := r.OpenFD(m.Destination, unix.O_PATH)
	if err != nil {
		return err
	}
	err = unix.MoveMount(fd, "", tfd, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	unix.Close(tfd)
	if err != nil {
		return fmt.Errorf("attach idmapped mount: %w", err)
	}
	flags, _, _ := ParseOptions(m.Options)
	if rest := flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT); rest != 0 {
		mfd, err := r.OpenFD(m.Destination, unix.O_PATH)
		if err != nil {
			return err
		}
		defer unix.Close(mfd)
		return remount(fdPath(mfd), rest)
	}
	return nil
}
