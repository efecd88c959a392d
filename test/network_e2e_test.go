package test

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// netNames returns the nftables table and default bridge of j's root,
// named as the network package names them for a non-default root.
func (j *jinnEnv) netNames() (table, bridge string) { return netNamesOf(j.root) }

// assertNetClean checks that nothing of j's networking is left on the
// host: table, default bridge, veths, state, DNS servers, networks.
func (j *jinnEnv) assertNetClean() {
	t := j.t
	t.Helper()
	table, bridge := j.netNames()
	if nftTable(j) != "" {
		t.Errorf("nftables table %s left behind", table)
	}
	if err := exec.Command("nft", "list", "table", "ip6", table).Run(); err == nil {
		t.Errorf("nftables ip6 table %s left behind", table)
	}
	if out, _ := exec.Command("ip", "-br", "link", "show", "master", bridge).CombinedOutput(); len(out) > 0 && !strings.Contains(string(out), "does not exist") {
		t.Errorf("veths left on %s: %s", bridge, out)
	}
	if err := exec.Command("ip", "link", "show", bridge).Run(); err == nil {
		t.Errorf("default bridge %s left behind", bridge)
	}
	ents, _ := os.ReadDir(filepath.Join(j.root, "network", "containers"))
	for _, e := range ents {
		t.Errorf("network state (IP allocation) left behind: %s", e.Name())
	}
	if out := j.ok("network", "ls", "-q"); len(strings.Fields(out)) > 1 {
		t.Errorf("networks left: %s", out)
	}
	procs, _ := exec.Command("ps", "-eo", "args").Output()
	if strings.Contains(string(procs), "dns-serve "+filepath.Join(j.root, "network")) {
		t.Errorf("dns server left running")
	}
	ns, _ := os.ReadDir(filepath.Join(j.runroot, "netns"))
	for _, e := range ns {
		t.Errorf("netns left behind: %s", e.Name())
	}
}

// nftTable prints j's nftables table, or "" when there is none.
func nftTable(j *jinnEnv) string {
	table, _ := j.netNames()
	out, err := exec.Command("nft", "list", "table", "ip", table).Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// netJinn is newJinn whose containers and then networks are removed, and
// checked gone, when the test ends (before its root's temp dir goes).
func netJinn(t *testing.T) *jinnEnv {
	t.Helper()
	j := newJinn(t, "")
	t.Cleanup(func() {
		if out, _, _ := j.run("ps", "-aq", "--no-trunc"); strings.TrimSpace(out) != "" {
			j.run(append([]string{"rm", "-f", "-v"}, strings.Fields(out)...)...)
		}
		j.run("network", "prune", "-f")
		j.assertNetClean()
	})
	return j
}

// loadApp loads the nginx or redis image fixture (hack/mkimage-debian-app.sh).
func loadApp(t *testing.T, j *jinnEnv, app string) {
	t.Helper()
	tar := filepath.Join(fixturesDir, "images", app+".tar")
	if _, err := os.Stat(tar); err != nil {
		if out, err := exec.Command("../hack/mkimage-debian-app.sh", app, tar).CombinedOutput(); err != nil {
			t.Skipf("no %s image: %v: %s", app, err, out)
		}
	}
	j.ok("load", "-q", "-i", tar)
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNetworkPublishedHTTP: an nginx container published on 127.0.0.1
// serves its page to an HTTP client on the host, as does -P on every local
// address; the rules exist while it runs and are gone after stop and rm -f.
func TestNetworkPublishedHTTP(t *testing.T) {
	j := netJinn(t)
	loadApp(t, j, "nginx")
	id := strings.TrimSpace(j.ok("run", "-d", "--name", "web", "-p", "127.0.0.1::80", "nginx"))
	j.ok("run", "-d", "--name", "webp", "-P", "nginx")
	hostPort := strings.TrimSpace(j.ok("port", "web", "80"))
	if !strings.HasPrefix(hostPort, "127.0.0.1:") {
		t.Fatalf("jinn port web 80 = %q", hostPort)
	}
	allPort := strings.TrimSpace(j.ok("port", "webp", "80/tcp"))
	if !strings.HasPrefix(allPort, "0.0.0.0:") {
		t.Fatalf("jinn port webp 80/tcp = %q", allPort)
	}
	for _, addr := range []string{hostPort, "127.0.0.1:" + strings.TrimPrefix(allPort, "0.0.0.0:")} {
		var body string
		waitFor(t, 5*time.Second, "the page at "+addr, func() bool {
			resp, err := (&http.Client{Timeout: time.Second}).Get("http://" + addr + "/")
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
			return resp.StatusCode == 200
		})
		if !strings.Contains(body, "Welcome to jinn's nginx") {
			t.Fatalf("page at %s = %q", addr, body)
		}
	}
	if !strings.Contains(nftTable(j), "dnat to") {
		t.Fatalf("no DNAT rule while running:\n%s", nftTable(j))
	}
	// A crash (the container's init killed behind jinn's back) and a stop
	// both take the container's rules away.
	pid, err := strconv.Atoi(j.inspect("web", "{{.State.Pid}}"))
	if err != nil || pid <= 1 {
		t.Fatalf("pid of web: %v", err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	waitFor(t, 5*time.Second, "web's rule to vanish after a crash", func() bool { return strings.Count(nftTable(j), "dnat to") == 2 })
	j.ok("stop", "-t", "1", "webp")
	waitFor(t, 5*time.Second, "rules to vanish on stop", func() bool { return !strings.Contains(nftTable(j), "dnat to") })
	j.ok("rm", "-f", id, "webp")

	// A foreground run (no --rm) that ended keeps its container but not
	// its rules.
	j.ok(j.runArgs([]string{"--name", "fg", "-p", "80"}, "true")...)
	if out := j.ok("ps", "-a", "--filter", "name=fg", "-q"); strings.TrimSpace(out) == "" {
		t.Errorf("foreground container fg was removed")
	}
	if strings.Contains(nftTable(j), "dnat to") {
		t.Errorf("rules of an exited container left:\n%s", nftTable(j))
	}
	j.ok("rm", "fg")
}

// TestNetworkUserDNSAndIsolation: names and aliases resolve on a user
// network; containers on two networks cannot reach each other; --network
// none has only lo; ip link inside shows only the container's devices.
func TestNetworkUserDNSAndIsolation(t *testing.T) {
	j := netJinn(t)
	www := t.TempDir()
	writeFile(t, filepath.Join(www, "index.html"), "pong\n")
	j.ok("network", "create", "app")
	j.ok("network", "create", "other")
	j.ok(j.runArgs([]string{"-d", "--name", "redis", "--network", "app", "--network-alias", "cache", "-v", www + ":/www:ro"}, "httpd", "-f", "-p", "6379", "-h", "/www")...)
	j.ok(j.runArgs([]string{"-d", "--name", "stranger", "--network", "other", "-v", www + ":/www:ro"}, "httpd", "-f", "-p", "80", "-h", "/www")...)

	out := j.ok(j.runArgs([]string{"--rm", "--network", "app"}, "sh", "-c", "wget -qO- http://redis:6379/ && wget -qO- http://cache:6379/ && ip -o link | cut -d: -f2")...)
	if !strings.HasPrefix(out, "pong\npong\n") {
		t.Fatalf("by name on app: %q", out)
	}
	if links := strings.Fields(strings.TrimPrefix(out, "pong\npong\n")); strings.Join(links, ",") != "lo,eth0@if"+strings.Split(links[1], "@if")[1] {
		t.Errorf("devices inside: %v", links)
	}
	strangerIP := strings.TrimSpace(j.ok("exec", "stranger", "sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1"))
	_, _, code := j.run(j.runArgs([]string{"--rm", "--network", "app"}, "wget", "-T", "1", "-qO-", "http://"+strangerIP+"/")...)
	if code == 0 {
		t.Fatalf("app reached %s on network other", strangerIP)
	}
	out = j.ok(j.runArgs([]string{"--rm", "--network", "none"}, "ip", "-o", "link")...)
	if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != 1 || !strings.Contains(out, "lo:") {
		t.Errorf("--network none devices:\n%s", out)
	}
	out = j.ok(j.runArgs([]string{"--rm", "--add-host", "db:10.1.2.3", "--dns", "10.9.9.9"}, "cat", "/etc/hosts", "/etc/resolv.conf")...)
	if !strings.Contains(out, "10.1.2.3\tdb") || !strings.Contains(out, "nameserver 10.9.9.9") {
		t.Errorf("--add-host/--dns:\n%s", out)
	}
	if _, errs, code := j.run("network", "rm", "app"); code == 0 {
		t.Errorf("removed a network in use (%s)", errs)
	}
	j.ok("rm", "-f", "redis", "stranger")
	j.ok("network", "rm", "app", "other")
}

// TestNetworkRateLimit: a container limited to 8mbit out is read by the
// host (its bridge address is the host's) within 10% of the limit.
func TestNetworkRateLimit(t *testing.T) {
	j := netJinn(t)
	j.ok(j.runArgs([]string{"-d", "--name", "src", "--network-egress-rate", "8mbit"}, "sh", "-c", "dd if=/dev/zero bs=1000 count=3000 2>/dev/null | nc -l -p 5000")...)
	ip := strings.TrimSpace(j.ok("exec", "src", "sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1"))
	var c net.Conn
	waitFor(t, 5*time.Second, "the sender to listen", func() bool {
		var err error
		c, err = net.DialTimeout("tcp4", ip+":5000", time.Second)
		return err == nil
	})
	defer c.Close()
	const n = 1500000 // 1.5 s at 8 mbit/s
	buf := make([]byte, 64<<10)
	var total, first int
	var start time.Time
	c.SetDeadline(time.Now().Add(20 * time.Second))
	for total < n {
		k, err := c.Read(buf)
		if total == 0 && k > 0 {
			start, first = time.Now(), k
		}
		total += k
		if err != nil {
			t.Fatalf("after %d bytes: %v", total, err)
		}
	}
	got := float64(total-first) * 8 / time.Since(start).Seconds()
	want := 8e6 * 1448 / 1514 // tbf counts frames; TCP payload is ~1448 of 1514 bytes
	t.Logf("egress limit 8mbit: measured %.2f Mbit/s of TCP payload (%.2f expected)", got/1e6, want/1e6)
	if got < want*0.9 || got > want*1.1 {
		t.Errorf("measured %.2f Mbit/s, want %.2f ±10%%", got/1e6, want/1e6)
	}
	c.Close()
	j.ok("rm", "-f", "src")
}
