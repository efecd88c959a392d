package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The host end of a removed container's veth is deleted by the kernel with
// the container's network namespace (internal/network/release.go), after
// `run --rm` has returned: what checks for veths waits for that, bounded
// by releaseWait (the kernel's cleanup_net takes milliseconds; the
// engine's own sweep deletes what is left after 5 s).
const releaseWait = 10 * time.Second

// bridgeVeths lists the interfaces on j's default bridge.
func bridgeVeths(j *jinnEnv) []string {
	_, bridge := j.netNames()
	return dirNames("/sys/class/net/" + bridge + "/brif")
}

// waitNoVeths fails unless j's default bridge has no port within releaseWait.
func waitNoVeths(t *testing.T, j *jinnEnv, what string) {
	t.Helper()
	for deadline := time.Now().Add(releaseWait); ; time.Sleep(20 * time.Millisecond) {
		v := bridgeVeths(j)
		if len(v) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: veths still on the bridge after %v: %v", what, releaseWait, v)
		}
	}
}

// assertNoNetRecords checks what must be gone when `run --rm` returns: the
// network namespace's file and the container's network record (its
// address allocation and rules are rebuilt from those).
func assertNoNetRecords(t *testing.T, j *jinnEnv, what string) {
	t.Helper()
	if ns := dirNames(filepath.Join(j.runroot, "netns")); len(ns) > 0 {
		t.Errorf("%s: netns left: %v", what, ns)
	}
	if rs := dirNames(filepath.Join(j.root, "network", "containers")); len(rs) > 0 {
		t.Errorf("%s: network records left: %v", what, rs)
	}
}

// TestNetworkRunRmRelease: `run --rm` on the default bridge returns with
// its namespace and records gone and the veth going with the namespace;
// a user network's --ip is given again at once to the next run (the
// release's veth is deleted first), a `network rm` right after a run
// succeeds, and no veth, rule or namespace stays.
func TestNetworkRunRmRelease(t *testing.T) {
	j := netJinn(t)
	img := j.image()
	for i := 0; i < 3; i++ {
		j.ok("run", "--rm", img[0], "true")
		assertNoNetRecords(t, j, fmt.Sprintf("run %d", i))
	}
	waitNoVeths(t, j, "after three runs")

	net := "rel" + fmt.Sprint(time.Now().UnixNano()%100000)
	j.ok("network", "create", net)
	subnet := strings.TrimSpace(j.ok("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", net))
	prefix, _, ok := strings.Cut(subnet, "/")
	if !ok {
		t.Fatalf("subnet of %s: %q", net, subnet)
	}
	ip := prefix[:strings.LastIndex(prefix, ".")] + ".77"
	for i := 0; i < 3; i++ {
		out := j.ok("run", "--rm", "--network", net, "--ip", ip, img[0], "ip", "-4", "-o", "addr", "show", "eth0")
		if !strings.Contains(out, ip+"/") {
			t.Errorf("run %d with --ip %s: %q", i, ip, out)
		}
	}
	// Straight after a run: its release must not keep the network.
	j.ok("run", "--rm", "--network", net, img[0], "true")
	j.ok("network", "rm", net)
	waitNoVeths(t, j, "after the user network's runs")
	assertNoNetRecords(t, j, "the end")
}

// monitorPids lists j's monitor processes.
func monitorPids(j *jinnEnv) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid := atoi(e.Name())
		if pid == 0 || e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		cmd := string(b)
		if err == nil && strings.Contains(cmd, "jinn-monitor") && (strings.Contains(cmd, j.root) || strings.Contains(cmd, j.runroot)) {
			out = append(out, pid)
		}
	}
	return out
}

// TestNetworkRunRmKilled: the CLI or the monitor of a bridged `run --rm`
// killed with -9 at points spread over its setup, run and teardown, then
// the containers removed: no veth, namespace, record or rule stays.
func TestNetworkRunRmKilled(t *testing.T) {
	j := netJinn(t)
	img := j.image()
	j.ok("run", "--rm", img[0], "true") // the bridge and its rules, made once
	w := newLeakWatch(j)
	for i := 0; i < 12; i++ {
		delay := time.Duration(i%6) * 15 * time.Millisecond
		c := j.cmd("run", "--rm", img[0], "sleep", "0.05")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		if i < 6 {
			c.Process.Signal(syscall.SIGKILL)
		} else {
			for _, pid := range monitorPids(j) {
				syscall.Kill(pid, syscall.SIGKILL) // ours: this store's
			}
		}
		c.Wait()
	}
	// A monitor killed leaves its container for rm (its sleep ends by
	// itself); a CLI killed leaves it to its monitor.
	waitFor(t, 15*time.Second, "the runs to end", func() bool {
		out := strings.Fields(j.ok("ps", "-aq", "--no-trunc"))
		for _, id := range out {
			w.saw(id)
		}
		if len(out) > 0 {
			j.run(append([]string{"rm", "-f"}, out...)...)
		}
		return len(out) == 0 && len(monitorPids(j)) == 0
	})
	j.ok("container", "prune", "-f")
	waitNoVeths(t, j, "after the kills")
	assertNoNetRecords(t, j, "after the kills")
	j.ok("network", "prune", "-f")
	// Every row judges: a kill inside the snapshot's Prepare left its
	// directory (no link named it yet) until prune swept it (Images.Sweep).
	for _, r := range w.count() {
		if len(r.items) > 0 {
			t.Errorf("leaked %s: %v", r.what, r.items)
		}
	}
}
