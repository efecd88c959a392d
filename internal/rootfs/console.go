package rootfs

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Console opens a new pty pair in the container's devpts and binds the
// slave over /dev/console. The caller hands the master to the console
// socket and makes the slave the process's terminal.
func Console(r *Root) (master, slave *os.File, err error) {
	if master, slave, err = OpenPty(r); err != nil {
		return nil, nil, err
	}
	if err = r.MkFile("/dev/console"); err == nil {
		var cfd int
		if cfd, err = r.OpenFD("/dev/console", unix.O_PATH); err == nil {
			err = unix.Mount(fdPath(int(slave.Fd())), fdPath(cfd), "", unix.MS_BIND, "")
			unix.Close(cfd)
		}
	}
	if err != nil {
		master.Close()
		slave.Close()
		return nil, nil, fmt.Errorf("bind /dev/console: %w", err)
	}
	return master, slave, nil
}

// OpenPty opens a new pty pair in the root's /dev/pts.
func OpenPty(r *Root) (master, slave *os.File, err error) {
	mfd, err := r.OpenFD("/dev/pts/ptmx", unix.O_RDWR|unix.O_NOCTTY)
	if err != nil {
		return nil, nil, fmt.Errorf("open ptmx (is /dev/pts mounted?): %w", err)
	}
	master = os.NewFile(uintptr(mfd), "/dev/ptmx")
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err == nil {
		err = unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0)
	}
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	name := "/dev/pts/" + strconv.Itoa(int(n))
	sfd, err := r.OpenFD(name, unix.O_RDWR|unix.O_NOCTTY)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, os.NewFile(uintptr(sfd), name), nil
}
