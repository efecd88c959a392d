package shim

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The delete command's view of a task being deleted after Delete's
// answer: held while locked, free once let go (removed by unlock, left by
// release, as after a failed delete).
func TestOptionsLock(t *testing.T) {
	bundle := t.TempDir()
	if lockOptions(bundle) != nil {
		t.Fatal("locked an options file that does not exist")
	}
	if optionsHeld(bundle) {
		t.Fatal("no options file, yet held")
	}
	if err := writeBundleOptions(bundle, options{Root: "/run/x"}); err != nil {
		t.Fatal(err)
	}
	if optionsHeld(bundle) {
		t.Fatal("unlocked options held")
	}
	l := lockOptions(bundle)
	if l == nil || !optionsHeld(bundle) {
		t.Fatalf("locked options not held (%v)", l)
	}
	l.release()
	if optionsHeld(bundle) {
		t.Fatal("released options still held")
	}
	if _, found, err := readBundleOptions(bundle); !found || err != nil {
		t.Fatalf("release removed the options: %v %v", found, err)
	}
	l = lockOptions(bundle)
	l.unlock()
	if _, err := os.Stat(filepath.Join(bundle, optionsFile)); !os.IsNotExist(err) {
		t.Fatalf("unlock left the options: %v", err)
	}
	(*optionsLock)(nil).unlock()
	(*optionsLock)(nil).release()
}

// An nsHold closes its descriptor once, whatever calls release.
func TestNSHold(t *testing.T) {
	h := holdNS(os.Getpid(), "mnt")
	if h == nil {
		t.Skip("no /proc/PID/ns/mnt")
	}
	fd := strconv.Itoa(h.fd)
	if _, err := os.Readlink("/proc/self/fd/" + fd); err != nil {
		t.Fatal(err)
	}
	h.release()
	h.release()
	if l, err := os.Readlink("/proc/self/fd/" + fd); err == nil && strings.HasPrefix(l, "mnt:") {
		t.Errorf("fd %s still holds %s", fd, l)
	}
	if holdNS(1<<22+12345, "mnt") != nil {
		t.Error("held the namespace of a pid that does not exist")
	}
	(*nsHold)(nil).release()
}
