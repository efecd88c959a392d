package test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// The flags below had no test that ran them as a user would; each is
// run here and its effect checked where it shows: inspect, the cgroup,
// tc, the container's own view, or what a signal does.

// TestCLIRunStopFlags: --stop-signal is what stop sends, --stop-timeout
// how long stop waits before SIGKILL, --expose what -P publishes.
func TestCLIRunStopFlags(t *testing.T) {
	j := newJinn(t, "")
	j.ok(j.runArgs([]string{"-d", "--name", "sig", "--stop-signal", "USR1"}, "sh", "-c",
		"trap 'echo got USR1; exit 0' USR1; while :; do sleep 0.1; done")...)
	j.ok("stop", "sig")
	if out := j.ok("logs", "sig"); out != "got USR1\n" {
		t.Errorf("stop with --stop-signal USR1: logs %q", out)
	}
	if got := j.inspect("sig", "{{.Config.StopSignal}} {{.State.ExitCode}}"); got != "USR1 0" {
		t.Errorf("inspect: %q", got)
	}
	// PID 1 without a handler ignores SIGTERM: stop waits --stop-timeout.
	j.ok(j.runArgs([]string{"-d", "--name", "deaf", "--stop-timeout", "1"}, "sleep", "100")...)
	start := time.Now()
	j.ok("stop", "deaf")
	if d := time.Since(start); d < 900*time.Millisecond || d > 6*time.Second {
		t.Errorf("stop with --stop-timeout 1 took %v", d)
	}
	if got := j.inspect("deaf", "{{.Config.StopTimeout}} {{.State.ExitCode}}"); got != "1 137" {
		t.Errorf("inspect: %q", got)
	}

	j.ok(j.runArgs([]string{"-d", "--name", "exp", "--expose", "7000", "--expose", "7100-7101/udp", "-P"}, "sleep", "100")...)
	if got := j.inspect("exp", "{{range $p, $v := .Config.ExposedPorts}}{{$p}} {{end}}"); got != "7000/tcp 7100/udp 7101/udp" {
		t.Errorf("--expose: ExposedPorts %q", got)
	}
	if out := j.ok("port", "exp"); strings.Count(out, "\n") != 3 || !strings.Contains(out, "7000/tcp -> 0.0.0.0:") {
		t.Errorf("-P of --expose ports:\n%s", out)
	}
	j.ok("rm", "-f", "sig", "deaf", "exp")
}

// TestCLIRunHealthLogFlags: --health-timeout fails a check that runs too
// long, --no-healthcheck turns off the image's HEALTHCHECK, --log-driver
// takes json-file and refuses what jinn does not have.
func TestCLIRunHealthLogFlags(t *testing.T) {
	j := newJinn(t, "")
	j.ok(j.runArgs([]string{"-d", "--name", "slow", "--health-cmd", "sleep 5", "--health-interval", "300ms",
		"--health-timeout", "200ms", "--health-retries", "1"}, "sleep", "100")...)
	waitFor(t, 10*time.Second, "slow to be unhealthy", func() bool { return j.inspect("slow", "{{.State.Health.Status}}") == "unhealthy" })
	if got := j.inspect("slow", "{{.Config.Healthcheck.Timeout}}"); got != "200000000" {
		t.Errorf("Healthcheck.Timeout %q", got)
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nHEALTHCHECK --interval=1s CMD true\n"), 0o644)
	j.ok("build", "-q", "-t", "healthy", dir)
	j.ok("run", "-d", "--name", "nohc", "--no-healthcheck", "healthy", "sleep", "100")
	j.ok("run", "-d", "--name", "hc", "healthy", "sleep", "100")
	waitFor(t, 10*time.Second, "hc to be healthy", func() bool { return j.inspect("hc", "{{.State.Health.Status}}") == "healthy" })
	if got := j.inspect("nohc", "{{.State.Health}} {{.Config.Healthcheck.Test}}"); got != "<nil> [NONE]" {
		t.Errorf("--no-healthcheck: %q", got)
	}

	if out := j.ok(j.runArgs([]string{"--name", "jl", "--log-driver", "json-file"}, "echo", "logged")...); out != "logged\n" {
		t.Errorf("run --log-driver json-file: %q", out)
	}
	if out := j.ok("logs", "jl"); out != "logged\n" {
		t.Errorf("logs of --log-driver json-file: %q", out)
	}
	if _, errs, code := j.run(j.runArgs([]string{"--log-driver", "syslog"}, "true")...); code != 125 || !strings.Contains(errs, "syslog") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("--log-driver syslog: exit %d %q", code, errs)
	}
	j.ok("rm", "-f", "slow", "nohc", "hc", "jl")
}

// hostCgroupFile reads a file of the container's cgroup of controller on
// the host, from its init's /proc/PID/cgroup.
func hostCgroupFile(t *testing.T, j *jinnEnv, ctr, controller, file string) string {
	t.Helper()
	pid := j.inspect(ctr, "{{.State.Pid}}")
	data, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) == 3 && strings.Contains(","+f[1]+",", ","+controller+",") {
			b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, f[2], file))
			if err != nil {
				t.Skipf("cgroup %s: %v", controller, err)
			}
			return string(b)
		}
	}
	t.Skipf("no v1 %s controller", controller)
	return ""
}

// TestCLIRunLimitFlags: --oom-kill-disable, --device-read-bps and
// --device-write-bps reach the container's cgroup; --network-ingress-rate
// shapes what leaves the host's end of its veth.
func TestCLIRunLimitFlags(t *testing.T) {
	j := netJinn(t)
	var st syscall.Stat_t
	dev := ""
	for _, d := range []string{"/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/loop0"} {
		if syscall.Stat(d, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFBLK {
			dev = d
			break
		}
	}
	if dev == "" {
		t.Skip("no block device to limit")
	}
	majMin := fmt.Sprintf("%d:%d", st.Rdev>>8&0xfff, st.Rdev&0xff|st.Rdev>>12&0xfff00)
	j.ok(j.runArgs([]string{"-d", "--name", "lim", "-m", "64m", "--oom-kill-disable",
		"--device-read-bps", dev + ":1mb", "--device-write-bps", dev + ":2mb", "--network-ingress-rate", "8mbit"}, "sleep", "100")...)
	if got := hostCgroupFile(t, j, "lim", "memory", "memory.oom_control"); !strings.Contains(got, "oom_kill_disable 1") {
		t.Errorf("--oom-kill-disable: memory.oom_control\n%s", got)
	}
	if got := j.inspect("lim", "{{.HostConfig.OomKillDisable}}"); got != "true" {
		t.Errorf("inspect OomKillDisable %q", got)
	}
	if got := hostCgroupFile(t, j, "lim", "blkio", "blkio.throttle.read_bps_device"); !strings.Contains(got, majMin+" 1048576") {
		t.Errorf("--device-read-bps %s:1mb: %q (want %s)", dev, got, majMin)
	}
	if got := hostCgroupFile(t, j, "lim", "blkio", "blkio.throttle.write_bps_device"); !strings.Contains(got, majMin+" 2097152") {
		t.Errorf("--device-write-bps %s:2mb: %q", dev, got)
	}
	// The container's eth0 is the peer of the host's veth, whose ifindex
	// is eth0's iflink.
	idx := strings.TrimSpace(j.ok("exec", "lim", "cat", "/sys/class/net/eth0/iflink"))
	out, err := exec.Command("ip", "-o", "link").Output()
	if err != nil {
		t.Fatal(err)
	}
	veth := ""
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == idx+":" {
			veth, _, _ = strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		}
	}
	if q, err := exec.Command("tc", "qdisc", "show", "dev", veth).CombinedOutput(); err != nil || !strings.Contains(string(q), "tbf") || !strings.Contains(string(q), "rate 8Mbit") {
		t.Errorf("--network-ingress-rate 8mbit: tc on %q: %v\n%s", veth, err, q)
	}
	j.ok("rm", "-f", "lim")
}

// waitExit waits up to d for c to end and tells whether it did.
func waitExit(c *exec.Cmd, d time.Duration) bool {
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		c.Process.Kill()
		<-done
		return false
	}
}

// TestCLISigProxy: run and attach pass the signals they get on to the
// container, and with --sig-proxy=false they do not: the client ends on
// its own SIGTERM and the container runs on.
func TestCLISigProxy(t *testing.T) {
	j := newJinn(t, "")
	j.image()
	script := "trap 'echo got TERM' TERM; echo ready; while :; do sleep 0.1; done"
	gotTerm := func(name string) bool {
		out, _, _ := j.run("logs", name)
		return strings.Contains(out, "got TERM")
	}
	for _, proxy := range []bool{true, false} {
		name := fmt.Sprintf("proxy%v", proxy)
		c := j.cmd("run", "--name", name, fmt.Sprintf("--sig-proxy=%v", proxy), "busybox", "sh", "-c", script)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, name+" to be ready", func() bool {
			out, _, _ := j.run("logs", name)
			return strings.Contains(out, "ready")
		})
		c.Process.Signal(syscall.SIGTERM)
		if proxy {
			waitFor(t, 5*time.Second, "run to pass SIGTERM on", func() bool { return gotTerm(name) })
			c.Process.Kill()
			waitExit(c, 5*time.Second)
			continue
		}
		if !waitExit(c, 5*time.Second) {
			t.Errorf("run --sig-proxy=false did not end on SIGTERM")
		}
		if gotTerm(name) || j.inspect(name, "{{.State.Running}}") != "true" {
			t.Errorf("run --sig-proxy=false: the container got SIGTERM or stopped: %q", j.ok("logs", name))
		}
	}
	a := j.cmd("attach", "--sig-proxy=false", "proxyfalse")
	a.Start()
	time.Sleep(500 * time.Millisecond)
	a.Process.Signal(syscall.SIGTERM)
	if !waitExit(a, 5*time.Second) || gotTerm("proxyfalse") {
		t.Errorf("attach --sig-proxy=false: did not end on SIGTERM, or passed it on")
	}
	a = j.cmd("attach", "proxyfalse")
	a.Start()
	time.Sleep(500 * time.Millisecond)
	a.Process.Signal(syscall.SIGTERM)
	waitFor(t, 5*time.Second, "attach to pass SIGTERM on", func() bool { return gotTerm("proxyfalse") })
	a.Process.Kill()
	waitExit(a, 5*time.Second)
	j.ok("rm", "-f", "proxytrue", "proxyfalse")
}

// TestCLIRegistryInsecure: --insecure lets login, push, pull, search and
// manifest inspect speak plain HTTP to a registry that is not on
// loopback (one in a namespace of the test's, beyond a veth); without it
// they refuse.
func TestCLIRegistryInsecure(t *testing.T) {
	// Not an RFC 1918 address: go-containerregistry speaks plain HTTP to
	// those unasked.
	out := newOutsideNet6(t, "198.18.93.")
	ln := out.listen(t)
	go http.Serve(ln, registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	host := ln.Addr().String()
	j := newJinn(t, "")
	j.image()
	ref := host + "/lib/busybox:1"
	j.ok("tag", "busybox", ref)
	if _, errs, code := j.run("push", ref); code == 0 {
		t.Fatalf("push over plain HTTP without --insecure: %q", errs)
	}
	if out := j.ok("push", "-q", "--insecure", ref); out != ref+"\n" {
		t.Errorf("push -q: %q", out)
	}
	j.ok("rmi", ref)
	if _, _, code := j.run("pull", ref); code == 0 {
		t.Errorf("pull over plain HTTP without --insecure worked")
	}
	j.ok("pull", "-q", "--insecure", "--platform", "linux/amd64", ref)
	if out := j.ok("manifest", "inspect", "--insecure", ref); !strings.Contains(out, "schemaVersion") {
		t.Errorf("manifest inspect --insecure:\n%s", out)
	}
	if out := j.ok("search", "--insecure", host+"/lib"); !strings.Contains(out, host+"/lib/busybox") {
		t.Errorf("search --insecure:\n%s", out)
	}
	if out := j.ok("search", "--insecure", "--no-trunc", "-f", "is-official=false", host+"/lib"); !strings.Contains(out, host+"/lib/busybox") {
		t.Errorf("search --no-trunc -f is-official=false:\n%s", out)
	}
	if out := j.ok("search", "--insecure", "-f", "stars=1", "--format", "{{.Name}}", host+"/lib"); out != "" {
		t.Errorf("search -f stars=1 (registries have no stars): %q", out)
	}
	if out := j.ok("login", "--insecure", "-u", "u", "-p", "p", host); !strings.Contains(out, "Login Succeeded") {
		t.Errorf("login --insecure: %q", out)
	}
	j.ok("logout", host)
}

// TestCLIImageFlags: rmi --no-prune keeps an image's untagged parents,
// rmi without it removes them; build takes --force-rm.
func TestCLIImageFlags(t *testing.T) {
	j := newJinn(t, "")
	j.image()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN echo 1 > /a\nRUN echo 2 > /b\n"), 0o644)
	os.Rename(filepath.Join(dir, "Dockerfile"), filepath.Join(dir, "Build.file"))
	j.ok("build", "-q", "--force-rm", "--file", filepath.Join(dir, "Build.file"), "-t", "layered", dir)
	if _, errs, code := j.run("build", "--pull", dir); code == 0 || !strings.Contains(errs, "--pull") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("build --pull: exit %d %q", code, errs)
	}
	count := func() int { return len(strings.Fields(j.ok("images", "-a", "-q"))) }
	all := count()
	if all < 3 {
		t.Fatalf("images -a after a two-step build: %d", all)
	}
	j.ok("tag", "layered", "layered:two")
	j.ok("rmi", "--no-prune", "layered")
	j.ok("rmi", "--no-prune", "layered:two")
	if n := count(); n != all-1 {
		t.Errorf("rmi --no-prune: %d images, want %d (parents kept)", n, all-1)
	}
	j.ok("build", "-q", "-f", filepath.Join(dir, "Build.file"), "-t", "layered", dir) // from the cache: the parents again
	j.ok("rmi", "layered")
	if n := count(); n != 1 {
		t.Errorf("rmi without --no-prune: %d images left, want busybox alone:\n%s", n, j.ok("images", "-a"))
	}
}

// TestCLINetworkFlags: network create --mtu sets the bridge's and the
// containers' MTU; network connect --alias makes a name on that network.
func TestCLINetworkFlags(t *testing.T) {
	j := netJinn(t)
	id := strings.TrimSpace(j.ok("network", "create", "--mtu", "1400", "--subnet", "10.87.61.0/24", "small"))
	j.ok("network", "create", "--subnet", "10.87.62.0/24", "other")
	if got := j.ok(j.runArgs([]string{"--rm", "--network", "small"}, "cat", "/sys/class/net/eth0/mtu")...); got != "1400\n" {
		t.Errorf("container MTU on --mtu 1400: %q", got)
	}
	if b, err := os.ReadFile("/sys/class/net/jbr-" + id[:11] + "/mtu"); err != nil || string(b) != "1400\n" {
		t.Errorf("bridge MTU: %q %v", b, err)
	}
	j.ok(j.runArgs([]string{"-d", "--name", "srv", "--network", "other"}, "sleep", "100")...)
	j.ok("network", "connect", "--alias", "db", "--alias", "cache", "small", "srv")
	out := j.ok(j.runArgs([]string{"--rm", "--network", "small"}, "sh", "-c", "ping -c1 -W2 db >/dev/null && echo db; ping -c1 -W2 cache >/dev/null && echo cache")...)
	if out != "db\ncache\n" {
		t.Errorf("network connect --alias: %q", out)
	}
	if got := j.inspect("srv", "{{.NetworkSettings.Networks.small.Aliases}}"); got != "[db cache]" {
		t.Errorf("aliases: %q", got)
	}
	j.ok("rm", "-f", "srv")
}
