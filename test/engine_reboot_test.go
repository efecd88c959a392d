package test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEngineReboot: a host reboot, simulated for this test's store only:
// every process of the store and its containers killed with -9, the run
// root's mounts gone and the run root wiped, what the kernel held (the
// containers' cgroups, the bridge, the firewall table) gone, the store
// under --root kept. ps -a then shows every container exited (255) without
// an error; `jinn system boot` starts those with restart policy always or
// unless-stopped, not an unless-stopped one a user stopped nor one without
// a policy; `start` brings that one back; each serves the file of its
// volume on its published port again.
func TestEngineReboot(t *testing.T) {
	j := newJinn(t, "jinn-runtime")
	t.Cleanup(func() { j.run("network", "prune", "-f") })
	j.ok("volume", "create", "site")
	j.ok(j.runArgs([]string{"--rm", "-v", "site:/www"}, "sh", "-c", "echo hello-after-reboot > /www/index.html")...)
	serve := func(name string, flags ...string) {
		a := append([]string{"-d", "--name", name, "-p", "127.0.0.1::80", "-v", "site:/www:ro"}, flags...)
		j.ok(j.runArgs(a, "httpd", "-f", "-p", "80", "-h", "/www")...)
	}
	serve("always", "--restart", "always")
	serve("unless", "--restart", "unless-stopped")
	serve("stopped", "--restart", "unless-stopped")
	serve("plain")
	j.ok("stop", "-t", "0", "stopped")
	for _, n := range []string{"always", "unless", "plain"} {
		j.servesSite(n)
	}

	j.reboot()

	ps := j.ok("ps", "-a", "--format", "{{.Names}} {{.State}} {{.Status}}")
	for _, n := range []string{"always", "unless", "stopped", "plain"} {
		if !strings.Contains(ps, n+" exited Exited (255)") {
			t.Errorf("after the reboot ps -a shows no %q exited (255):\n%s", n, ps)
		}
		if e := j.inspect(n, "{{.State.ExitCode}}|{{.State.Error}}"); e != "255|" {
			t.Errorf("%s after the reboot: exit code|error = %q, want 255 and no error", n, e)
		}
	}
	out := strings.Fields(j.ok("system", "boot"))
	sort.Strings(out)
	if strings.Join(out, " ") != "always unless" {
		t.Errorf("system boot started %v, want [always unless]", out)
	}
	for n, want := range map[string]string{"always": "running", "unless": "running", "stopped": "exited", "plain": "exited"} {
		if st := j.inspect(n, "{{.State.Status}}"); st != want {
			t.Errorf("%s after system boot: %s, want %s", n, st, want)
		}
	}
	j.ok("start", "plain")
	for _, n := range []string{"always", "unless", "plain"} {
		j.servesSite(n)
		if ip := j.inspect(n, "{{.NetworkSettings.IPAddress}}"); ip == "" {
			t.Errorf("%s has no address after the reboot", n)
		}
	}
	// A second boot starts nothing more.
	if out := strings.TrimSpace(j.ok("system", "boot")); out != "" {
		t.Errorf("a second system boot started %q", out)
	}
	j.ok("rm", "-f", "always", "unless", "stopped", "plain")
}

// servesSite checks that the container answers on its published port with
// the page its volume holds.
func (j *jinnEnv) servesSite(name string) {
	t := j.t
	t.Helper()
	addr := strings.TrimSpace(j.ok("port", name, "80"))
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := (&http.Client{Timeout: time.Second}).Get("http://" + addr + "/index.html")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			if resp.StatusCode == 200 && strings.Contains(body, "hello-after-reboot") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not serve its volume's page at %s: %q %v", name, addr, body, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reboot does to this test's store what a host reboot does: its
// processes and containers' processes die (-9), its mounts and run root
// vanish, and so do its cgroups, bridge and firewall table.
func (j *jinnEnv) reboot() {
	t := j.t
	t.Helper()
	ids := strings.Fields(j.ok("ps", "-aq", "--no-trunc"))
	var pids []int
	for _, id := range ids {
		if b, err := os.ReadFile(cgroupPath("pids", id, "cgroup.procs")); err == nil {
			for _, f := range strings.Fields(string(b)) {
				p, _ := strconv.Atoi(f)
				pids = append(pids, p)
			}
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.Contains(string(cmd), j.runroot) || strings.Contains(string(cmd), j.root) {
			pids = append(pids, pid)
		}
	}
	if len(pids) == 0 {
		t.Fatal("reboot: no processes of the store found")
	}
	for _, p := range pids {
		syscall.Kill(p, syscall.SIGKILL)
	}
	waitFor(t, 10*time.Second, "the store's processes to die", func() bool {
		for _, p := range pids {
			if alive(p) {
				return false
			}
		}
		return true
	})
	// Deepest mounts first.
	var mnts []string
	f, _ := os.Open("/proc/self/mountinfo")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], j.runroot) {
			mnts = append(mnts, fields[4])
		}
	}
	f.Close()
	sort.Slice(mnts, func(a, b int) bool { return len(mnts[a]) > len(mnts[b]) })
	for _, m := range mnts {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			t.Fatalf("reboot: unmount %s: %v", m, err)
		}
	}
	if err := os.RemoveAll(j.runroot); err != nil {
		t.Fatalf("reboot: wipe the run root: %v", err)
	}
	for _, id := range ids {
		cgs, _ := filepath.Glob("/sys/fs/cgroup/*/" + suite.cgroupParent + "/" + id)
		for _, cg := range cgs {
			syscall.Rmdir(cg)
		}
	}
	table, bridge := j.netNames()
	exec.Command("nft", "delete", "table", "ip", table).Run()
	exec.Command("ip", "link", "del", bridge).Run()
}
