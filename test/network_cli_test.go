package test

import (
	"strings"
	"testing"
)

// TestNetworkCommands: jinn network create/ls/inspect/connect/disconnect/rm/prune.
func TestNetworkCommands(t *testing.T) {
	j := netJinn(t)
	id := strings.TrimSpace(j.ok("network", "create", "--subnet", "10.87.77.0/24", "--gateway", "10.87.77.254", "--internal", "lab"))
	if len(id) != 64 {
		t.Fatalf("create printed %q, want an id", id)
	}
	if _, errs, code := j.run("network", "create", "--subnet", "10.87.77.0/25", "lab2"); code == 0 {
		t.Errorf("overlapping subnet accepted")
	} else if !strings.Contains(errs, "overlaps") {
		t.Errorf("overlap error: %s", errs)
	}
	if out := j.ok("network", "ls"); !strings.Contains(out, "lab") || !strings.Contains(out, "NETWORK ID") {
		t.Errorf("ls:\n%s", out)
	}
	if got := strings.TrimSpace(j.ok("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}}", "lab")); got != "10.87.77.0/24 10.87.77.254 true" {
		t.Errorf("inspect -f: %q", got)
	}
	out := j.ok("network", "inspect", "lab")
	for _, want := range []string{`"Subnet": "10.87.77.0/24"`, `"Gateway": "10.87.77.254"`, `"Internal": true`} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %s:\n%s", want, out)
		}
	}
	j.ok(j.runArgs([]string{"-d", "--name", "box"}, "sleep", "100")...)
	j.ok("network", "connect", "--ip", "10.87.77.9", "lab", "box")
	if out := j.ok("exec", "box", "ip", "-4", "-o", "addr", "show", "eth1"); !strings.Contains(out, "10.87.77.9/24") {
		t.Errorf("after connect, eth1: %s", out)
	}
	if out := j.ok("network", "inspect", "lab"); !strings.Contains(out, "10.87.77.9/24") {
		t.Errorf("inspect does not list box:\n%s", out)
	}
	j.ok("restart", "-t", "0", "box")
	if out := j.ok("exec", "box", "ip", "-4", "-o", "addr", "show", "eth1"); !strings.Contains(out, "10.87.77.9/24") {
		t.Errorf("after restart, eth1: %s", out)
	}
	if _, _, code := j.run("network", "rm", "lab"); code == 0 {
		t.Errorf("removed a network in use")
	}
	j.ok("network", "disconnect", "lab", "box")
	if _, _, code := j.run("exec", "box", "ip", "link", "show", "eth1"); code == 0 {
		t.Errorf("eth1 still there after disconnect")
	}
	j.ok("network", "create", "spare")
	if out := j.ok("network", "prune", "-f"); !strings.Contains(out, "lab") || !strings.Contains(out, "spare") {
		t.Errorf("prune: %s", out)
	}
	if _, _, code := j.run("network", "rm", "bridge"); code == 0 {
		t.Errorf("removed the default network")
	}
	j.ok("rm", "-f", "box")
}
