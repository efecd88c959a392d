package nsexec

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestHeader(t *testing.T) {
	h := Header([]Join{{Type: "network", Path: "/proc/1/ns/net"}, {Type: "user", Path: "/proc/1/ns/user"}},
		map[string][2]int64{"boottime": {10, 5}}, true)
	n := binary.LittleEndian.Uint32(h)
	body := string(h[4:])
	if int(n) != len(body) {
		t.Fatalf("length %d, body %d", n, len(body))
	}
	for _, line := range []string{"network /proc/1/ns/net\n", "user /proc/1/ns/user\n", "offset boottime 10 5\n", "fork\n"} {
		if !strings.Contains(body, line) {
			t.Errorf("header lacks %q:\n%s", line, body)
		}
	}
	if h := Header(nil, nil, false); binary.LittleEndian.Uint32(h) != 0 || len(h) != 4 {
		t.Errorf("empty header %q", h)
	}
}

// The constructor makes a process started as an init (either variable
// that names the Go init's or the C stage's socket) non-dumpable before Go
// runs, and leaves every other process of the binary as it was. The test
// binary carries the constructor too: it runs itself.
func TestInitNotDumpable(t *testing.T) {
	for _, env := range []string{"", "_JINN_INIT=-1", Env + "=3"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDumpableReport$")
		cmd.Env = []string{"JINN_TEST_DUMPABLE=1", env}
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		ours, theirs := os.NewFile(uintptr(fds[0]), "sync"), os.NewFile(uintptr(fds[1]), "sync-child")
		ours.Write(Header(nil, nil, false)) // nothing to join: on into Go
		cmd.ExtraFiles = []*os.File{theirs}
		out, err := cmd.CombinedOutput()
		ours.Close()
		theirs.Close()
		if err != nil {
			t.Fatalf("%s: %v %s", env, err, out)
		}
		want := "dumpable=0\n"
		if env == "" {
			want = "dumpable=1\n"
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("with %q: %s, want %s", env, out, want)
		}
	}
}

func TestDumpableReport(t *testing.T) {
	if os.Getenv("JINN_TEST_DUMPABLE") == "" {
		t.Skip("run by TestInitNotDumpable")
	}
	d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("dumpable=%d\n", d)
}
