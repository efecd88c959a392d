package test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jinn-containers/jinn/internal/testutil"
)

// Kubernetes reaches a node's OCI runtime through containerd's CRI plugin.
// criEnv is Debian's containerd 1.6 started by the test with a config of
// its own: the CRI plugin with runtime handlers runc and jinn (runc's shim
// with jinn-runtime as its binary), cgroupfs, a bridge CNI network with
// its own bridge and subnet, images from a loopback registry, and its
// own root, state and sockets.

// criToolsVersion is the cri-tools release crictl and critest come from.
const criToolsVersion = "v1.37.0"

type criEnv struct {
	t        *testing.T
	dir      string
	sock     string
	registry string // host:port of the loopback registry
	bridge   string
	crictlY  string // crictl's config file
	cf       string // containerd's config file
	daemon   *exec.Cmd
	exited   chan struct{}
}

// startContainerd starts the env's containerd, logging to log, and waits
// until CRI answers.
func (e *criEnv) startContainerd(log string) {
	t := e.t
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	// containerd finds the shims on PATH: the test's jinn-shim first.
	args := []string{"--config", e.cf}
	if os.Getenv("JINN_CRI_LOG") != "" {
		// Debug level, for containerd's and the shims' timings (the
		// shims get -debug); the log is kept at $JINN_CRI_LOG.
		args = append(args, "--log-level", "debug")
	}
	c := exec.Command("containerd", args...)
	path := filepath.Dir(bin("containerd-shim-jinn-v2")) + ":" + os.Getenv("PATH")
	if b := os.Getenv("JINN_CRI_BASE_SHIM"); b != "" {
		path = filepath.Dir(b) + ":" + path
	}
	c.Env = append(os.Environ(), "PATH="+path)
	c.Stdout, c.Stderr = f, f
	if err := c.Start(); err != nil {
		t.Fatalf("start containerd: %v", err)
	}
	exited := make(chan struct{})
	go func() { c.Wait(); f.Close(); close(exited) }()
	e.daemon, e.exited = c, exited
	crictl := criTool(t, "crictl")
	for deadline := time.Now().Add(30 * time.Second); exec.Command(crictl, "--config", e.crictlY, "info").Run() != nil; {
		select {
		case <-exited:
			b, _ := os.ReadFile(log)
			t.Fatalf("containerd exited: %s", lastLines(string(b), 10))
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log)
			t.Fatalf("containerd not ready in 30s: %s", lastLines(string(b), 10))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopContainerd stops the env's containerd (its shims stay).
func (e *criEnv) stopContainerd() {
	e.daemon.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(15 * time.Second):
		e.daemon.Process.Kill()
		<-e.exited
	}
}

// criCacheDir holds crictl and critest, built once per machine.
func criCacheDir() string {
	if d := os.Getenv("JINN_TEST_CACHE"); d != "" {
		return d
	}
	return "/var/cache/jinn-test"
}

var criBuildMu sync.Mutex

// criTool returns the path of crictl or critest, building it on first use
// through the Go module proxy; the test is skipped if the proxy cannot be
// reached.
func criTool(t *testing.T, name string) string {
	t.Helper()
	return cachedTool(t, name, name)
}

// cachedTool returns bin/file of the test cache, made by the Makefile's
// target on first use (a Go build through the module proxy); the test is
// skipped if the proxy cannot be reached.
func cachedTool(t *testing.T, target, file string) string {
	t.Helper()
	name := target
	criBuildMu.Lock()
	defer criBuildMu.Unlock()
	out := filepath.Join(criCacheDir(), "bin", file)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	if out, err := exec.Command("make", "-C", "..", "CRI_CACHE="+criCacheDir(), target).CombinedOutput(); err != nil {
		s := string(out)
		for _, netErr := range []string{"dial tcp", "no such host", "connection refused", "i/o timeout", "network is unreachable", "proxyconnect"} {
			if strings.Contains(s, netErr) {
				t.Skipf("cannot build %s %s: Go module proxy unreachable: %s", name, criToolsVersion, lastLines(s, 3))
			}
		}
		t.Fatalf("build %s: %v\n%s", name, err, lastLines(s, 20))
	}
	return out
}

// freeSubnet picks a /24 in 10.213.0.0/16 that no host interface uses.
func freeSubnet(t *testing.T) string {
	addrs, _ := net.InterfaceAddrs()
	for i := 0; i < 50; i++ {
		b := make([]byte, 1)
		rand.Read(b)
		_, sn, _ := net.ParseCIDR(fmt.Sprintf("10.213.%d.0/24", b[0]))
		used := false
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && (sn.Contains(ipn.IP) || ipn.Contains(sn.IP)) {
				used = true
			}
		}
		if !used {
			return sn.String()
		}
	}
	t.Fatal("no free subnet in 10.213.0.0/16")
	return ""
}

// startCRI starts containerd with the CRI plugin and returns its env.
func startCRI(t *testing.T) *criEnv {
	t.Helper()
	for _, p := range []string{"containerd", "containerd-shim-runc-v2", "runc", "/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/loopback"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed (Debian: containerd, runc, containernetworking-plugins)", p)
		}
	}
	criTool(t, "crictl") // built once per machine
	// The shims' sockets go in /run/containerd/s whatever containerd is told.
	tidyRun(t, "/run/containerd", "/run/containerd/s", "/run/containerd/fifo")
	// Short: containerd's and the shims' socket paths must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "jcri")
	if err != nil {
		t.Fatal(err)
	}
	e := &criEnv{t: t, dir: dir, sock: filepath.Join(dir, "c.sock"), bridge: "jcri" + randHex(4)}
	e.registry = testutil.OpenRegistry(t)
	pushCRIImages(t, e.registry)

	cni := filepath.Join(dir, "cni")
	os.MkdirAll(cni, 0o755)
	// The bridge is the pods' gateway, so the host reaches pod IPs over it
	// (not through its default route); no ipMasq and no portmap: the
	// network touches no firewall of the host.
	net := map[string]any{
		"cniVersion": "0.4.0", "name": "jinn-cri-" + e.bridge,
		"plugins": []any{
			map[string]any{"type": "bridge", "bridge": e.bridge, "isGateway": true, "ipMasq": false,
				"ipam": map[string]any{"type": "host-local", "dataDir": filepath.Join(dir, "ipam"),
					"ranges": [][]map[string]string{{{"subnet": freeSubnet(t)}}}}},
			map[string]any{"type": "loopback"},
		},
	}
	b, _ := json.Marshal(net)
	os.WriteFile(filepath.Join(cni, "10-jinn.conflist"), b, 0o644)

	cri := `plugins."io.containerd.grpc.v1.cri"`
	conf := fmt.Sprintf(`version = 2
root = %q
state = %q
[grpc]
  address = %q
[ttrpc]
  address = %q
[plugins."io.containerd.internal.v1.opt"]
  path = %q
[%[6]s]
  sandbox_image = "%[7]s/%[8]s"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
[%[6]s.containerd]
  default_runtime_name = "runc"
  snapshotter = "overlayfs"
[%[6]s.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[%[6]s.containerd.runtimes.runc.options]
  SystemdCgroup = false
  Root = "%[11]s/runc"
[%[6]s.containerd.runtimes.jinn]
  runtime_type = "io.containerd.runc.v2"
[%[6]s.containerd.runtimes.jinn.options]
  BinaryName = %[9]q
  SystemdCgroup = false
  Root = "%[11]s/jinn"
[%[6]s.containerd.runtimes.jinn-shim]
  runtime_type = "io.containerd.jinn.v2"
[%[6]s.containerd.runtimes.jinn-shim.options]
  ConfigPath = "%[12]s"
%[13]s[%[6]s.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = %[10]q
[%[6]s.registry.mirrors."%[7]s"]
  endpoint = ["http://%[7]s"]
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), e.sock, e.sock+".ttrpc", filepath.Join(dir, "opt"),
		cri, e.registry, criPause, bin("jinn-runtime"), cni, filepath.Join(dir, "runtime"), filepath.Join(dir, "jinn-shim.toml"), baseShimRuntime(filepath.Join(dir, "jinn-shim.toml")))
	os.WriteFile(filepath.Join(dir, "jinn-shim.toml"),
		[]byte(fmt.Sprintf("Root = %q\nSystemdCgroup = false\n", filepath.Join(dir, "runtime", "jinn-shim"))), 0o644)
	cf := filepath.Join(dir, "config.toml")
	os.WriteFile(cf, []byte(conf), 0o644)
	e.crictlY = filepath.Join(dir, "crictl.yaml")
	os.WriteFile(e.crictlY, []byte(fmt.Sprintf("runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 60\n", e.sock, e.sock)), 0o644)

	// Cleanups run last-in first-out: this one after containerd stopped.
	t.Cleanup(func() {
		// A jinn-shim may outlive its Shutdown for as long as the kernel
		// syncs the rootfs it released (detachRootfs), a spare until it
		// sees containerd gone.
		waitFor(t, 10*time.Second, "the jinn shims of this containerd to exit", func() bool { return len(e.jinnShims()) == 0 })
		exec.Command("ip", "link", "del", e.bridge).Run()
		assertNoMounts(t, dir)
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "containerd.log"))
			t.Logf("containerd log (tail):\n%s", lastLines(string(b), 40))
		}
		exec.Command("umount", "-R", dir).Run()
		if keep := os.Getenv("JINN_CRI_LOG"); keep != "" {
			exec.Command("cp", filepath.Join(dir, "containerd.log"), keep).Run()
		}
		os.RemoveAll(dir)
	})
	e.cf = cf
	e.startContainerd(filepath.Join(dir, "containerd.log"))
	t.Cleanup(e.stopContainerd)
	// And this one before it stops: pods that a failed test left, so the
	// shims stop their containers and exit.
	t.Cleanup(func() {
		if out, err := e.crictl("rmp", "-fa"); err != nil {
			t.Errorf("crictl rmp -fa: %v: %s", err, out)
		}
	})
	return e
}

// crictl runs crictl against the env's containerd.
func (e *criEnv) crictl(args ...string) (string, error) {
	c := exec.Command(criTool(e.t, "crictl"), append([]string{"--config", e.crictlY}, args...)...)
	out, err := c.CombinedOutput()
	return string(out), err
}

func (e *criEnv) crictlOK(args ...string) string {
	e.t.Helper()
	out, err := e.crictl(args...)
	if err != nil {
		e.t.Fatalf("crictl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// writeJSON writes v as a JSON file in the env's directory.
func (e *criEnv) writeJSON(name string, v any) string {
	p := filepath.Join(e.dir, name)
	b, _ := json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// waitState waits for a container's crictl state.
func (e *criEnv) waitState(id, state string, d time.Duration) {
	e.t.Helper()
	waitFor(e.t, d, id+" to be "+state, func() bool {
		out, _ := e.crictl("inspect", "-o", "go-template", "--template", "{{.status.state}}", id)
		return strings.TrimSpace(out) == state
	})
}

// baseShimRuntime is handler jinn-base, another build of the shim to time
// beside this one in the same containerd (bench/cri.sh's BASE_SHIM: a
// containerd-shim-jinnbase-v2 binary), or nothing.
func baseShimRuntime(config string) string {
	if os.Getenv("JINN_CRI_BASE_SHIM") == "" {
		return ""
	}
	return fmt.Sprintf("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.jinn-base]\n  runtime_type = \"io.containerd.jinnbase.v2\"\n"+
		"[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.jinn-base.options]\n  ConfigPath = %q\n", config)
}
