package caps

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidate(t *testing.T) {
	if err := Validate(&specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "cap_kill"}}); err != nil {
		t.Fatal(err)
	}
	err := Validate(&specs.LinuxCapabilities{Ambient: []string{"CAP_CHOWN", "CAP_MAKE_COFFEE"}})
	if err == nil || !strings.Contains(err.Error(), `"CAP_MAKE_COFFEE" in the ambient set`) {
		t.Fatalf("got %v", err)
	}
	if len(Known()) < 40 {
		t.Fatalf("known: %v", Known())
	}
}

// TestApply applies sets in a child (this test binary re-run, as root) and
// reads them back from /proc/self/status.
func TestApply(t *testing.T) {
	if os.Getenv("JINN_CAPS_CHILD") == "1" {
		runtime.LockOSThread()
		err := Apply(&specs.LinuxCapabilities{
			Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETPCAP"},
			Effective:   []string{"CAP_CHOWN"},
			Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"},
			Inheritable: []string{"CAP_NET_BIND_SERVICE"},
			Ambient:     []string{"CAP_NET_BIND_SERVICE"},
		})
		if err != nil {
			t.Fatal(err)
		}
		// Read the thread's own status: the sets are per thread.
		f, err := os.Open("/proc/thread-self/status")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Cap") {
				os.Stdout.WriteString(sc.Text() + "\n")
			}
		}
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestApply$")
	cmd.Env = append(os.Environ(), "JINN_CAPS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	got := map[string]uint64{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.HasPrefix(k, "Cap") {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			got[k] = n
		}
	}
	const chown, kill, nbs, setpcap = 1 << 0, 1 << 5, 1 << 10, 1 << 8
	want := map[string]uint64{"CapBnd": chown | kill | nbs | setpcap, "CapEff": chown,
		"CapPrm": chown | kill | nbs, "CapInh": nbs, "CapAmb": nbs}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#x, want %#x\n%s", k, got[k], v, out)
		}
	}
}

func TestApplyUnknown(t *testing.T) {
	if err := Apply(&specs.LinuxCapabilities{Effective: []string{"CAP_NOPE"}}); err == nil {
		t.Fatal("unknown capability accepted")
	}
	if err := Apply(nil); err != nil {
		t.Fatal(err)
	}
}
