package snapshot

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// setupQuota makes the upper and work dirs of snapshot dir limited to size
// bytes: an xfs project quota when the store is on xfs mounted with prjquota,
// otherwise a sparse file holding an ext4 filesystem, loop-mounted at
// dir/mnt. Either way a write past the size fails with ENOSPC and touches
// nothing outside.
func (s *Snapshotter) setupQuota(dir string, id int, size int64) (string, error) {
	if mnt, ok := xfsPrjquota(dir); ok {
		if err := mkdirs(dir, "", nil); err != nil {
			return "", err
		}
		proj := strconv.Itoa(1_000_000 + id)
		out, err := exec.Command("xfs_quota", "-x",
			"-c", fmt.Sprintf("project -s -p %s %s", dir, proj),
			"-c", fmt.Sprintf("limit -p bhard=%dk %s", (size+1023)/1024, proj), mnt).CombinedOutput()
		if err == nil {
			return "xfs", nil
		}
		return "", fmt.Errorf("xfs_quota: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if size < 16<<20 {
		return "", fmt.Errorf("size %d too small for a loop-backed upper dir (minimum 16MB)", size)
	}
	img := filepath.Join(dir, "upper.img")
	f, err := os.OpenFile(img, os.O_CREATE|os.O_RDWR|os.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return "", err
	}
	err = f.Truncate(size)
	f.Close()
	if err != nil {
		return "", err
	}
	out, err := exec.Command("mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal",
		"-E", "nodiscard,lazy_itable_init=1,root_owner=0:0", img).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("mkfs.ext4 (apt-get install e2fsprogs): %v: %s", err, strings.TrimSpace(string(out)))
	}
	if err := s.ensureLoop(dir); err != nil {
		return "", err
	}
	if err := mkdirs(dir, "mnt", nil); err != nil {
		unmountLoop(dir)
		return "", err
	}
	return "loop", nil
}

// xfsPrjquota reports the mount point of dir's filesystem if it is xfs with
// project quotas on.
func xfsPrjquota(dir string) (string, bool) {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil || st.Type != unix.XFS_SUPER_MAGIC {
		return "", false
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", false
	}
	defer f.Close()
	best, opts := "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 10 {
			continue
		}
		mp := fl[4]
		if (dir == mp || strings.HasPrefix(dir, strings.TrimSuffix(mp, "/")+"/")) && len(mp) >= len(best) {
			best = mp
			opts = fl[len(fl)-1]
		}
	}
	if strings.Contains(opts, "prjquota") || strings.Contains(opts, "pquota") {
		return best, true
	}
	return "", false
}

// ensureLoop mounts dir/upper.img at dir/mnt unless it is mounted already.
func (s *Snapshotter) ensureLoop(dir string) error {
	mnt := filepath.Join(dir, "mnt")
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		return err
	}
	var a, b unix.Stat_t
	if unix.Stat(dir, &a) == nil && unix.Stat(mnt, &b) == nil && a.Dev != b.Dev {
		return nil
	}
	// The device stays open until mounted: with autoclear, its last close
	// before the mount would detach it.
	lf, err := attachLoop(filepath.Join(dir, "upper.img"))
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := unix.Mount(lf.Name(), mnt, "ext4", unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("mount %s on %s: %w", lf.Name(), mnt, err)
	}
	return nil
}

func unmountLoop(dir string) error {
	mnt := filepath.Join(dir, "mnt")
	err := unix.Unmount(mnt, 0)
	if err == unix.EBUSY {
		err = unix.Unmount(mnt, unix.MNT_DETACH)
	}
	if err != nil && err != unix.EINVAL && err != unix.ENOENT {
		return fmt.Errorf("unmount %s: %w", mnt, err)
	}
	return nil
}

// attachLoop binds file to a free loop device with autoclear, so the last
// unmount frees the device.
func attachLoop(file string) (*os.File, error) {
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open loop-control: %w", err)
	}
	defer ctl.Close()
	back, err := os.OpenFile(file, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer back.Close()
	for try := 0; try < 20; try++ {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return nil, fmt.Errorf("get free loop device: %w", err)
		}
		dev := "/dev/loop" + strconv.Itoa(n)
		lf, err := os.OpenFile(dev, os.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", dev, err)
		}
		err = unix.IoctlSetInt(int(lf.Fd()), unix.LOOP_SET_FD, int(back.Fd()))
		if err == unix.EBUSY {
			lf.Close()
			continue // another process took it first
		}
		if err != nil {
			lf.Close()
			return nil, fmt.Errorf("attach %s to %s: %w", file, dev, err)
		}
		info := unix.LoopInfo64{Flags: unix.LO_FLAGS_AUTOCLEAR}
		copy(info.File_name[:], file)
		if err := unix.IoctlLoopSetStatus64(int(lf.Fd()), &info); err != nil {
			unix.IoctlSetInt(int(lf.Fd()), unix.LOOP_CLR_FD, 0)
			lf.Close()
			return nil, fmt.Errorf("configure %s: %w", dev, err)
		}
		return lf, nil
	}
	return nil, fmt.Errorf("no free loop device")
}

// clearXFSQuota drops the project limit of a removed snapshot.
func clearXFSQuota(dir string, id int) {
	if mnt, ok := xfsPrjquota(dir); ok {
		exec.Command("xfs_quota", "-x", "-c", fmt.Sprintf("limit -p bhard=0 %d", 1_000_000+id), mnt).Run()
	}
}
