package rootfs

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseOptions(t *testing.T) {
	flags, prop, data := ParseOptions([]string{"nosuid", "noexec", "ro", "rw", "rbind", "rslave", "mode=755", "size=1m", "tmpcopyup"})
	want := uintptr(unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_BIND | unix.MS_REC)
	if flags != want {
		t.Errorf("flags %#x, want %#x (rw clears ro)", flags, want)
	}
	if len(prop) != 1 || prop[0] != unix.MS_SLAVE|unix.MS_REC {
		t.Errorf("propagation %v", prop)
	}
	if data != "mode=755,size=1m" {
		t.Errorf("data %q", data)
	}
}

func TestRecursiveAttr(t *testing.T) {
	if recursiveAttr([]string{"ro", "rbind"}) != nil {
		t.Error("no recursive option, yet an attr")
	}
	a := recursiveAttr([]string{"rro", "rnosuid", "rexec", "rrw", "rro"})
	if a.Attr_set != unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID || a.Attr_clr != unix.MOUNT_ATTR_NOEXEC {
		t.Errorf("attr %+v", a)
	}
	if flags, _, data := ParseOptions([]string{"rbind", "rro"}); flags != unix.MS_BIND|unix.MS_REC || data != "" {
		t.Errorf("rro leaks into mount(2): %#x %q", flags, data)
	}
}
