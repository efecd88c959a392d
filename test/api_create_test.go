package test

import (
	"strings"
	"testing"
)

// TestAPICreateExtras: HostConfig's namespace modes, /dev/shm, sysctls,
// groups, devices and CFS fields reach the container through the API
// (they did not: the API dropped them), and a container joins every
// network it was given, at create or connected while stopped.
func TestAPICreateExtras(t *testing.T) {
	for _, cli := range dockerCLIs(t) {
		a := newAPI(t)
		out := a.dockerOK(cli, "run", "--rm", "--shm-size", "32m", "--sysctl", "kernel.shm_rmid_forced=1", "--group-add", "1234",
			"--device", "/dev/null:/dev/mynull", "--ipc", "private", "busybox", "sh", "-c",
			"df -k /dev/shm | tail -1; cat /proc/sys/kernel/shm_rmid_forced; id -G; ls /dev/mynull")
		f := strings.Fields(out)
		if len(f) < 4 || f[1] != "32768" || !strings.Contains(out, "\n1\n") || !strings.Contains(out, "1234") || !strings.Contains(out, "/dev/mynull") {
			t.Fatalf("extras: %q", out)
		}
		if out := a.dockerOK(cli, "run", "--rm", "--pid", "host", "busybox", "cat", "/proc/1/comm"); strings.TrimSpace(out) == "sh" {
			t.Fatalf("--pid host: pid 1 is %q", out)
		}
		a.dockerOK(cli, "create", "--name", "q", "--cpu-period", "50000", "--cpu-quota", "25000", "--memory-swappiness", "10", "busybox", "true")
		if out := a.dockerOK(cli, "inspect", "-f", "{{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.MemorySwappiness}}", "q"); out != "50000 25000 10\n" {
			t.Fatalf("inspect CFS: %q", out)
		}
		if _, errb, code := a.docker(cli, "", "create", "--cpus", "1", "--cpu-quota", "25000", "busybox"); code == 0 || !strings.Contains(errb, "Conflicting options") {
			t.Fatalf("--cpus with --cpu-quota: %d %q", code, errb)
		}

		a.dockerOK(cli, "network", "create", "n1")
		a.dockerOK(cli, "network", "create", "n2")
		a.dockerOK(cli, "network", "create", "n3")
		a.dockerOK(cli, "create", "--name", "multi", "--network", "n1", "busybox", "sleep", "600")
		a.dockerOK(cli, "network", "connect", "--alias", "second", "n2", "multi")
		a.dockerOK(cli, "network", "connect", "n3", "multi")
		a.dockerOK(cli, "network", "disconnect", "n3", "multi")
		a.dockerOK(cli, "start", "multi")
		out = a.dockerOK(cli, "inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "multi")
		if strings.TrimSpace(out) != "n1 n2" {
			t.Fatalf("networks: %q", out)
		}
		if out := a.dockerOK(cli, "exec", "multi", "sh", "-c", "ip -4 -o addr | grep -c eth"); strings.TrimSpace(out) != "2" {
			t.Fatalf("interfaces: %q", out)
		}
		a.dockerOK(cli, "rm", "-f", "multi", "q")
		a.dockerOK(cli, "network", "rm", "n1", "n2", "n3")
	}
}
