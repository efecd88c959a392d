package test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The container's init runs jinn-runtime's binary inside the container. A
// handle on it kept past execve must not open the host binary for writing
// (CVE-2019-5736): the init runs from a read-only mount.
func TestRuntimeBinaryIsSealed(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	id := newID("sealed")
	e.must("create", id)
	pid := e.state(id).Pid
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/exe", unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	e.must("start", id)
	// Once the init has become sleep, the binary is no longer busy.
	for i := 0; i < 500; i++ {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); strings.HasPrefix(string(b), "sleep") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	w, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_WRONLY, 0)
	if err == nil {
		w.Close()
		t.Fatal("the runtime binary is writable through the container init's exe")
	}
	if !errors.Is(err, syscall.EROFS) {
		t.Fatalf("open exe for writing: %v, want EROFS", err)
	}
	e.must("delete", "--force", id)
}
