package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jinn-containers/jinn/internal/testutil"
)

// TestCLIRunNamespaceFlags: --pid, --ipc, --uts (host and container:X),
// --shm-size, --sysctl with docker's checks, --domainname, --group-add.
func TestCLIRunNamespaceFlags(t *testing.T) {
	j := newJinn(t, "")
	run := func(flags []string, cmd ...string) string {
		return j.ok(j.runArgs(append([]string{"--rm"}, flags...), cmd...)...)
	}
	self := func(ns string) string { l, _ := os.Readlink("/proc/self/ns/" + ns); return l + "\n" }
	if got := run([]string{"--pid", "host"}, "readlink", "/proc/self/ns/pid"); got != self("pid") {
		t.Errorf("--pid host: %s, host %s", got, self("pid"))
	}
	if got := run(nil, "readlink", "/proc/self/ns/pid"); got == self("pid") {
		t.Errorf("without --pid host the pid namespace is the host's")
	}
	if got := run([]string{"--ipc", "host"}, "readlink", "/proc/self/ns/ipc"); got != self("ipc") {
		t.Errorf("--ipc host: %s", got)
	}
	host, _ := os.Hostname()
	if got := run([]string{"--uts", "host"}, "hostname"); got != host+"\n" {
		t.Errorf("--uts host: hostname %q, want %q", got, host)
	}
	j.ok(j.runArgs([]string{"-d", "--name", "nsowner"}, "sleep", "100")...)
	owner := j.ok("exec", "nsowner", "sh", "-c", "readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc")
	if got := run([]string{"--pid", "container:nsowner", "--ipc", "container:nsowner"}, "sh", "-c", "readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc"); got != owner {
		t.Errorf("--pid/--ipc container:X: %q, want %q", got, owner)
	}
	if got := run([]string{"--shm-size", "128m"}, "grep", "/dev/shm", "/proc/mounts"); !strings.Contains(got, "size=131072k") {
		t.Errorf("--shm-size 128m: %s", got)
	}
	if got := run([]string{"--ipc", "none"}, "sh", "-c", "grep -c ' /dev/shm ' /proc/mounts || true"); got != "0\n" {
		t.Errorf("--ipc none still mounts /dev/shm: %s", got)
	}
	if got := run([]string{"--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmax=123456"}, "cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmax"); got != "1\n123456\n" {
		t.Errorf("--sysctl: %q", got)
	}
	if got := run([]string{"--domainname", "example.org"}, "cat", "/proc/sys/kernel/domainname"); got != "example.org\n" {
		t.Errorf("--domainname: %q", got)
	}
	if got := j.inspect("nsowner", "{{.Config.Domainname}}|{{.HostConfig.PidMode}}"); got != "|" {
		t.Errorf("inspect of defaults: %q", got)
	}
	if got := run([]string{"--group-add", "1234", "--group-add", "nogroup", "-u", "daemon"}, "id", "-G"); got != "1 1234 65534\n" {
		t.Errorf("--group-add: %q", got)
	}
	for _, bad := range [][]string{
		{"--sysctl", "kernel.panic=1"}, {"--sysctl", "net.ipv4.ip_forward"}, {"--network", "host", "--sysctl", "net.ipv4.ip_forward=1"},
		{"--ipc", "host", "--sysctl", "kernel.shmmax=1"}, {"--pid", "bogus"}, {"--ipc", "container:"}, {"--uts", "private"},
		{"--uts", "host", "-h", "x"}, {"--shm-size", "lots"}, {"--group-add", "nosuchgroup"}, {"--pid", "container:nobody-home"},
	} {
		if _, errs, code := j.run(j.runArgs(append([]string{"--rm"}, bad...), "true")...); code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("run %v: exit %d %q", bad, code, errs)
		}
	}
	if n := len(strings.Fields(j.ok("ps", "-aq"))); n != 1 {
		t.Errorf("bad flags left %d containers", n)
	}
}

// TestCLIRunFileFlags: --cidfile, --label-file, --volumes-from,
// --dns-option/--dns-search, --add-host host-gateway, and the CFS,
// cpuset-mems and swappiness limits.
func TestCLIRunFileFlags(t *testing.T) {
	j := newJinn(t, "")
	dir := t.TempDir()
	cid := filepath.Join(dir, "cid")
	id := strings.TrimSpace(j.ok(append([]string{"create", "--cidfile", cid}, append(j.image(), "true")...)...))
	if b, _ := os.ReadFile(cid); string(b) != id {
		t.Errorf("--cidfile holds %q, want %q", b, id)
	}
	if _, errs, code := j.run(j.runArgs([]string{"--rm", "--cidfile", cid}, "true")...); code != 125 || !strings.Contains(errs, "Container ID file found") {
		t.Errorf("existing --cidfile: exit %d %q", code, errs)
	}
	labels := filepath.Join(dir, "labels")
	os.WriteFile(labels, []byte("# team labels\ntier=web\nowner=ops\n"), 0o644)
	j.ok(j.runArgs([]string{"--name", "lab", "--label-file", labels, "--label", "owner=dev"}, "true")...)
	if got := j.inspect("lab", `{{index .Config.Labels "tier"}} {{index .Config.Labels "owner"}}`); got != "web dev" {
		t.Errorf("--label-file: %q", got)
	}

	j.ok(j.runArgs([]string{"--name", "data", "-v", "shared:/data", "-v", dir + ":/hostdir"}, "sh", "-c", "echo kept > /data/f")...)
	if got := j.ok(j.runArgs([]string{"--rm", "--volumes-from", "data"}, "sh", "-c", "cat /data/f; test -d /hostdir && echo bind")...); got != "kept\nbind\n" {
		t.Errorf("--volumes-from: %q", got)
	}
	if _, _, code := j.run(j.runArgs([]string{"--rm", "--volumes-from", "data:ro"}, "touch", "/data/g")...); code == 0 {
		t.Errorf("--volumes-from X:ro is writable")
	}
	if _, _, code := j.run(j.runArgs([]string{"--rm", "--volumes-from", "nobody-home"}, "true")...); code != 125 {
		t.Errorf("--volumes-from of a missing container: exit %d", code)
	}

	out := j.ok(j.runArgs([]string{"--rm", "--name", "netfiles", "--dns-option", "ndots:2", "--dns-option", "timeout:1", "--dns-search", "corp.example",
		"--add-host", "host.docker.internal:host-gateway"}, "cat", "/etc/resolv.conf", "/etc/hosts")...)
	gw := strings.TrimSpace(j.ok("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", "bridge"))
	if !strings.Contains(out, "options ndots:2 timeout:1\n") || !strings.Contains(out, "search corp.example\n") {
		t.Errorf("--dns-option/--dns-search:\n%s", out)
	}
	if gw == "" || !strings.Contains(out, gw+"\thost.docker.internal\n") {
		t.Errorf("--add-host host-gateway (gateway %q):\n%s", gw, out)
	}
	if _, _, code := j.run(j.runArgs([]string{"--rm", "--add-host", "x:not-an-ip"}, "true")...); code != 125 {
		t.Errorf("--add-host x:not-an-ip: exit %d", code)
	}

	needCgroupV1(t, "cpu", "cpuset", "memory")
	got := j.ok(j.runArgs([]string{"--rm", "--cpu-period", "50000", "--cpu-quota", "25000", "--cpuset-mems", "0", "--memory-swappiness", "10"},
		"cat", "/sys/fs/cgroup/cpu/cpu.cfs_period_us", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpuset/cpuset.mems", "/sys/fs/cgroup/memory/memory.swappiness")...)
	if got != "50000\n25000\n0\n10\n" {
		t.Errorf("CFS, cpuset-mems, swappiness: %q", got)
	}
	for _, bad := range [][]string{{"--cpus", "1", "--cpu-quota", "50000"}, {"--cpu-period", "10"}, {"--memory-swappiness", "101"}} {
		if _, _, code := j.run(j.runArgs(append([]string{"--rm"}, bad...), "true")...); code != 125 {
			t.Errorf("run %v: exit %d", bad, code)
		}
	}
}

// TestCLIRunPull: --pull always|missing|never, --platform and -q, against
// a loopback registry.
func TestCLIRunPull(t *testing.T) {
	host := testutil.OpenRegistry(t)
	src := newJinn(t, "")
	src.image()
	ref := host + "/lib/busybox:1"
	src.ok("tag", "busybox", ref)
	src.ok("push", ref)

	j := newJinn(t, "")
	if _, errs, code := j.run("run", "--rm", "--pull", "never", ref, "true"); code != 125 || !strings.Contains(errs, "Unable to find image") {
		t.Errorf("--pull never of a missing image: exit %d %q", code, errs)
	}
	out, errs, code := j.run("run", "--rm", ref, "echo", "pulled")
	if code != 0 || out != "pulled\n" || !strings.Contains(errs, "Unable to find image '"+ref+"' locally") {
		t.Errorf("--pull missing (the default): exit %d %q %q", code, out, errs)
	}
	if out, errs, code := j.run("run", "--rm", "-q", "--pull", "always", ref, "echo", "again"); code != 0 || out != "again\n" || errs != "" {
		t.Errorf("--pull always -q: exit %d %q %q", code, out, errs)
	}
	if _, errs, code := j.run("create", "--platform", "linux/s390x", ref); code != 125 || !strings.Contains(errs, "does not match the specified platform") {
		t.Errorf("--platform mismatch: exit %d %q", code, errs)
	}
	if _, _, code := j.run("run", "--rm", "--pull", "sometimes", ref, "true"); code != 125 {
		t.Errorf("--pull sometimes: exit %d", code)
	}
	if _, errs, code := j.run("run", "--rm", "--pull", "always", "127.0.0.1:1/lib/busybox:1", "true"); code != 125 || errs == "" {
		t.Errorf("--pull always without a registry: exit %d %q", code, errs)
	}
}

// TestCLIRunDeviceFlags: --device with its cgroup permissions,
// --device-cgroup-rule, --gpus (refused: no GPU hook), -a, --annotation,
// --userns host and --cgroupns.
func TestCLIRunDeviceFlags(t *testing.T) {
	j := newJinn(t, "")
	run := func(flags []string, cmd ...string) string {
		return j.ok(j.runArgs(append([]string{"--rm"}, flags...), cmd...)...)
	}
	if _, err := os.Stat("/dev/loop-control"); err == nil {
		got := run([]string{"--device", "/dev/loop-control:/dev/lc:r"}, "sh", "-c", "(exec 3</dev/lc) && echo read-ok; (exec 4>/dev/lc) 2>/dev/null || echo write-denied")
		if got != "read-ok\nwrite-denied\n" {
			t.Errorf("--device HOST:CONTAINER:r: %q", got)
		}
		if got := run([]string{"--device", "/dev/loop-control"}, "sh", "-c", "(exec 4>/dev/loop-control) && echo write-ok"); got != "write-ok\n" {
			t.Errorf("--device HOST: %q", got)
		}
	}
	// c 1:12 is no device: allowed, opening it says so; denied, EPERM.
	probe := "mknod /dev/x c 1 12; cat /dev/x 2>&1; true"
	if got := run(nil, "sh", "-c", probe); !strings.Contains(got, "Operation not permitted") {
		t.Errorf("without a rule: %q", got)
	}
	if got := run([]string{"--device-cgroup-rule", "c 1:12 rwm"}, "sh", "-c", probe); !strings.Contains(got, "No such device") {
		t.Errorf("--device-cgroup-rule: %q", got)
	}
	if _, errs, code := j.run(j.runArgs([]string{"--rm", "--gpus", "all"}, "true")...); code != 125 || !strings.Contains(errs, "could not select device driver") {
		t.Errorf("--gpus: exit %d %q", code, errs)
	}
	out, errs, code := j.run(j.runArgs([]string{"--rm", "-a", "stderr"}, "sh", "-c", "echo out; echo err >&2")...)
	if code != 0 || out != "" || errs != "err\n" {
		t.Errorf("-a stderr: %d %q %q", code, out, errs)
	}
	out, errs, _ = j.run(j.runArgs([]string{"--rm", "--attach", "STDOUT"}, "sh", "-c", "echo out; echo err >&2")...)
	if out != "out\n" || errs != "" {
		t.Errorf("--attach STDOUT: %q %q", out, errs)
	}
	j.ok(j.runArgs([]string{"--name", "ann", "--annotation", "org.example.team=db", "--userns", "host", "--cgroupns", "private"}, "true")...)
	if got := j.inspect("ann", `{{index .HostConfig.Annotations "org.example.team"}} {{.HostConfig.CgroupnsMode}}`); got != "db private" {
		t.Errorf("--annotation/--cgroupns in inspect: %q", got)
	}
	self, _ := os.Readlink("/proc/self/ns/cgroup")
	if got := strings.TrimSpace(run([]string{"--cgroupns", "private"}, "readlink", "/proc/self/ns/cgroup")); got == self {
		t.Errorf("--cgroupns private shares the host's: %s", got)
	}
	if got := strings.TrimSpace(run([]string{"--cgroupns", "host"}, "readlink", "/proc/self/ns/cgroup")); got != self {
		t.Errorf("--cgroupns host: %s, host %s", got, self)
	}
	for _, bad := range [][]string{{"--device", "/dev/nonexistent"}, {"--device", "/dev/null:/dev/n:rwx"}, {"--device", "a:b:c:d"},
		{"--device-cgroup-rule", "x 1:3 r"}, {"--device-cgroup-rule", "c 1:3"}, {"-a", "stdfoo"}, {"-d", "-a", "stdout"},
		{"--annotation", "novalue"}, {"--userns", "remap"}, {"--cgroupns", "shared"}, {"--device", "/etc/passwd"}} {
		if _, errs, code := j.run(j.runArgs(append([]string{"--rm"}, bad...), "true")...); code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("run %v: exit %d %q", bad, code, errs)
		}
	}
}

// TestCLIRunHealthStartInterval: --health-start-interval runs the check
// that often during the start period, with --health-cmd or on the image's
// own HEALTHCHECK.
func TestCLIRunHealthStartInterval(t *testing.T) {
	j := newJinn(t, "")
	j.ok(j.runArgs([]string{"-d", "--name", "hs", "--health-cmd", "true", "--health-interval", "1h", "--health-start-period", "1m",
		"--health-start-interval", "200ms"}, "sleep", "100")...)
	waitFor(t, 10*time.Second, "healthy by the start interval", func() bool { return j.inspect("hs", "{{.State.Health.Status}}") == "healthy" })
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nHEALTHCHECK --interval=1h --start-period=1m CMD true\n"), 0o644)
	j.ok("build", "-q", "-t", "hc", dir)
	j.ok("run", "-d", "--name", "hs2", "--health-start-interval", "200ms", "hc", "sleep", "100")
	waitFor(t, 10*time.Second, "the image's check by the start interval", func() bool {
		return j.inspect("hs2", "{{.State.Health.Status}}") == "healthy"
	})
	if got := j.inspect("hs2", "{{.Config.Healthcheck.Test}} {{.Config.Healthcheck.StartInterval}}"); got != "[CMD-SHELL true] 200000000" {
		t.Errorf("merged health check: %q", got)
	}
	if _, _, code := j.run(j.runArgs([]string{"--rm", "--health-start-interval", "soon"}, "true")...); code != 125 {
		t.Errorf("--health-start-interval soon: exit %d", code)
	}
}

// TestCLIRunLinkMac: legacy --link NAME[:ALIAS] as hosts entries on the
// default bridge, and --mac-address on the container's interface.
func TestCLIRunLinkMac(t *testing.T) {
	j := newJinn(t, "")
	j.ok(j.runArgs([]string{"-d", "--name", "db"}, "sleep", "100")...)
	ip := j.inspect("db", "{{.NetworkSettings.IPAddress}}")
	out := j.ok(j.runArgs([]string{"--rm", "--link", "db:database"}, "sh", "-c", "cat /etc/hosts; ping -c1 -W2 database >/dev/null && echo reached")...)
	if ip == "" || !strings.Contains(out, ip+"\tdatabase\n") || !strings.Contains(out, ip+"\tdb\n") || !strings.HasSuffix(out, "reached\n") {
		t.Errorf("--link db:database (db at %q):\n%s", ip, out)
	}
	j.ok(j.runArgs([]string{"--name", "linked", "--link", "db"}, "true")...)
	if got := j.inspect("linked", "{{.HostConfig.Links}}"); got != "[/db:/linked/db]" {
		t.Errorf("inspect Links: %s", got)
	}
	for _, bad := range [][]string{{"--link", "nobody-home"}, {"--link", "db:a:b"}, {"--network", "host", "--link", "db"}} {
		if _, errs, code := j.run(j.runArgs(append([]string{"--rm"}, bad...), "true")...); code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("run %v: exit %d %q", bad, code, errs)
		}
	}
	if got := j.ok(j.runArgs([]string{"--rm", "--mac-address", "92:d0:c6:0a:29:33"}, "cat", "/sys/class/net/eth0/address")...); got != "92:d0:c6:0a:29:33\n" {
		t.Errorf("--mac-address: %q", got)
	}
	for _, bad := range []string{"92:d0:c6:0a:29", "01:00:5e:00:00:01", "zz:d0:c6:0a:29:33"} {
		if _, _, code := j.run(j.runArgs([]string{"--rm", "--mac-address", bad}, "true")...); code != 125 {
			t.Errorf("--mac-address %s: exit %d", bad, code)
		}
	}
}

// TestCLIRunCgroupParent: run --cgroup-parent puts this container's cgroup
// under the parent given (limits, stats, update, restart and rm follow
// it); jinn's global --cgroup-parent stays the engine's.
func TestCLIRunCgroupParent(t *testing.T) {
	needCgroupV1(t, "memory")
	j := newJinn(t, "")
	parent := suite.cgroupParent + "/own-" + randHex(3)
	id := strings.TrimSpace(j.ok(j.runArgs([]string{"-d", "--cgroup-parent", parent, "-m", "64m"}, "sleep", "100")...))
	limit := func() string {
		b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", parent, id, "memory.limit_in_bytes"))
		if err != nil {
			t.Fatalf("the container's cgroup is not under %s: %v", parent, err)
		}
		return strings.TrimSpace(string(b))
	}
	if got := limit(); got != "67108864" {
		t.Errorf("limit under the parent: %s", got)
	}
	if got := strings.TrimSpace(j.ok("stats", "--no-stream", "--format", "{{.MemUsage}}", id)); !strings.HasSuffix(got, "/ 64MiB") {
		t.Errorf("stats of a container under its own parent: %q", got)
	}
	j.ok("update", "-m", "100m", id)
	if got := limit(); got != "104857600" {
		t.Errorf("update under the parent: %s", got)
	}
	j.ok("restart", "-t", "0", id)
	if got := limit(); got != "104857600" {
		t.Errorf("after restart: %s", got)
	}
	if got := j.inspect(id, "{{.HostConfig.CgroupParent}}"); got != parent {
		t.Errorf("inspect CgroupParent: %q", got)
	}
	j.ok("rm", "-f", id)
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/memory", parent)); err == nil {
		t.Errorf("the container's parent cgroup is left: %s", parent)
	}
	if _, errs, code := j.run(j.runArgs([]string{"--rm", "--cgroup-parent", "../escape"}, "true")...); code != 125 || !strings.Contains(errs, "cgroup parent") {
		t.Errorf("--cgroup-parent ../escape: exit %d %q", code, errs)
	}
}

// TestCLIRunBlkioRealtimeFlags: --device-read-iops/--device-write-iops
// reach blkio.throttle.*_iops_device, --cpu-rt-runtime/--cpu-rt-period
// cpu.rt_* (run and update), --blkio-weight-device needs weight files
// (no bfq: refused), and the flags docker's Linux daemon refuses or
// discards are refused or warned about, each with one line, nothing made.
func TestCLIRunBlkioRealtimeFlags(t *testing.T) {
	needCgroupV1(t, "blkio", "cpu")
	j := newJinn(t, "")
	dev := blockDevice(t)
	j.ok(j.runArgs([]string{"-d", "--name", "iops", "--network", "none", "--device-read-iops", dev + ":100", "--device-write-iops", dev + ":200"}, "sleep", "100")...)
	majMin := devMajMin(t, dev)
	if got := hostCgroupFile(t, j, "iops", "blkio", "blkio.throttle.read_iops_device"); !strings.Contains(got, majMin+" 100") {
		t.Errorf("--device-read-iops %s:100: %q (want %s 100)", dev, got, majMin)
	}
	if got := hostCgroupFile(t, j, "iops", "blkio", "blkio.throttle.write_iops_device"); !strings.Contains(got, majMin+" 200") {
		t.Errorf("--device-write-iops %s:200: %q", dev, got)
	}
	if got := j.inspect("iops", "{{json .HostConfig.BlkioDeviceWriteIOps}}"); got != `[{"Path":"`+dev+`","Rate":200}]` {
		t.Errorf("inspect BlkioDeviceWriteIOps %s", got)
	}
	j.ok("rm", "-f", "iops")

	if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"); err != nil {
		t.Log("skip --cpu-rt-*: no CONFIG_RT_GROUP_SCHED (cpu.rt_runtime_us)")
	} else {
		// A child's real-time budget comes out of its parent's: the test's
		// own parent gets 2% of the root's.
		parent := suite.cgroupParent + "-rt" + randHex(3)
		dir := filepath.Join("/sys/fs/cgroup/cpu", parent)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(dir) })
		if err := os.WriteFile(filepath.Join(dir, "cpu.rt_runtime_us"), []byte("20000"), 0o644); err != nil {
			t.Fatalf("give the test's parent a real-time budget: %v", err)
		}
		j.ok(j.runArgs([]string{"-d", "--name", "rt", "--network", "none", "--cgroup-parent", parent, "--cpu-rt-period", "500000", "--cpu-rt-runtime", "10000"}, "sleep", "100")...)
		id := j.inspect("rt", "{{.Id}}")
		read := func(f string) string {
			b, _ := os.ReadFile(filepath.Join(dir, id, f))
			return strings.TrimSpace(string(b))
		}
		if p, r := read("cpu.rt_period_us"), read("cpu.rt_runtime_us"); p != "500000" || r != "10000" {
			t.Errorf("--cpu-rt-period 500000 --cpu-rt-runtime 10000: cgroup %s %s", p, r)
		}
		j.ok("update", "--cpu-rt-runtime", "5000", "rt")
		if r := read("cpu.rt_runtime_us"); r != "5000" {
			t.Errorf("update --cpu-rt-runtime 5000: cgroup %s", r)
		}
		if got := j.inspect("rt", "{{.HostConfig.CpuRealtimePeriod}} {{.HostConfig.CpuRealtimeRuntime}}"); got != "500000 5000" {
			t.Errorf("inspect real-time: %s", got)
		}
		if _, errs, code := j.run("update", "--cpu-rt-runtime", "600000", "rt"); code == 0 || !strings.Contains(errs, "cpu real-time runtime cannot be higher than cpu real-time period") {
			t.Errorf("update --cpu-rt-runtime over the period: exit %d %q", code, errs)
		}
		j.ok("rm", "-f", "rt")
	}

	_, errs, _ := j.run(j.runArgs([]string{"--rm", "--network", "none", "--kernel-memory", "10m", "--cpu-percent", "50", "--cpu-count", "2",
		"--isolation", "default", "--volume-driver", "local", "--disable-content-trust=false"}, "true")...)
	for _, w := range []string{"WARNING: Your kernel does not support kernel memory limit", "WARNING: linux does not support CPU percent", "WARNING: linux does not support CPU count"} {
		if !strings.Contains(errs, w) {
			t.Errorf("no %q in %q", w, errs)
		}
	}
	bad := [][]string{
		{"--device-read-iops", dev}, {"--device-read-iops", "vda:1"}, {"--device-write-iops", dev + ":x"}, {"--device-read-iops", "/dev/nosuchdev:1"},
		{"--device-read-iops", "/dev/null:1"}, {"--blkio-weight-device", dev + ":5"}, {"--blkio-weight-device", "sda"},
		{"--cpu-rt-period", "1000", "--cpu-rt-runtime", "2000"}, {"--cpu-rt-runtime", "-5"}, {"--isolation", "hyperv"},
		{"--cgroup-parent", suite.cgroupParent + "-nort" + randHex(3), "--cpu-rt-runtime", "100"}, // no budget there
		{"--volume-driver", "nfs"}, {"--io-maxiops", "10"}, {"--io-maxbandwidth", "1m"}, {"--kernel-memory", "lots"},
		{"--use-api-socket"}, // no jinn system service on this runroot
	}
	if !hasWeightFiles() {
		t.Log("no blkio weight files (no bfq): --blkio-weight-device is refused")
		bad = append(bad, []string{"--blkio-weight-device", dev + ":500"})
	}
	for _, b := range bad {
		if _, errs, code := j.run(j.runArgs(append([]string{"--rm", "--network", "none"}, b...), "true")...); code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("run %v: exit %d %q", b, code, errs)
		}
	}
	if n := len(strings.Fields(j.ok("ps", "-aq"))); n != 0 {
		t.Errorf("bad flags left %d containers", n)
	}
}

// blockDevice is a block device of the host to put limits on.
func blockDevice(t *testing.T) string {
	t.Helper()
	var st syscall.Stat_t
	for _, d := range []string{"/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/loop0"} {
		if syscall.Stat(d, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFBLK {
			return d
		}
	}
	t.Skip("no block device to limit")
	return ""
}

func devMajMin(t *testing.T, dev string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(dev, &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d:%d", st.Rdev>>8&0xfff, st.Rdev&0xff|st.Rdev>>12&0xfff00)
}

// hasWeightFiles: the v1 blkio hierarchy weighs I/O per device (CFQ or bfq).
func hasWeightFiles() bool {
	for _, f := range []string{"blkio.weight_device", "blkio.bfq.weight_device"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/blkio", f)); err == nil {
			return true
		}
	}
	return false
}

// TestCLIRunBlkioWeightDevice: --blkio-weight-device reaches the blkio
// hierarchy's per-device weights where the I/O scheduler has them (bfq).
func TestCLIRunBlkioWeightDevice(t *testing.T) {
	needCgroupV1(t, "blkio")
	if !hasWeightFiles() {
		t.Skip("no blkio weight files: the I/O scheduler has no weights (bfq)")
	}
	j := newJinn(t, "")
	dev := blockDevice(t)
	j.ok(j.runArgs([]string{"-d", "--name", "wd", "--network", "none", "--blkio-weight-device", dev + ":300"}, "sleep", "100")...)
	file := "blkio.bfq.weight_device"
	if _, err := os.Stat("/sys/fs/cgroup/blkio/blkio.weight_device"); err == nil {
		file = "blkio.weight_device"
	}
	if got := hostCgroupFile(t, j, "wd", "blkio", file); !strings.Contains(got, devMajMin(t, dev)+" 300") {
		t.Errorf("--blkio-weight-device %s:300: %s %q", dev, file, got)
	}
	j.ok("rm", "-f", "wd")
}
