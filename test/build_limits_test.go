package test

import (
	"strings"
	"testing"
)

// TestBuildRunLimits: docker build's limits of RUN steps (-m,
// --memory-swap, -c, --cpu-period/--cpu-quota, --cpuset-cpus, --ulimit,
// --shm-size, --security-opt, --add-host, --cgroup-parent) reach the
// step's container as its classic builder gives them; --squash, another
// --platform or --isolation and bad values are refused with one line.
func TestBuildRunLimits(t *testing.T) {
	needCgroupV1(t, "memory", "cpu", "cpuset")
	e := newBuildEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM busybox\n" +
		"RUN echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) shares=$(cat /sys/fs/cgroup/cpu/cpu.shares) " +
		"quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus) " +
		"nofile=$(ulimit -n) nnp=$(grep NoNewPrivs /proc/self/status | cut -f2) " +
		"shm=$(grep ' /dev/shm ' /proc/mounts | grep -o 'size=[0-9a-z]*') host=$(grep db /etc/hosts | cut -f1) " +
		"cg=$(grep :memory: /proc/self/cgroup | cut -d: -f3 | cut -d/ -f2)\n"})
	parent := suite.cgroupParent + "-build" + randHex(3)
	out := e.mustBuild("--no-cache", "--progress", "plain", "-m", "64m", "--memory-swap", "128m", "-c", "512",
		"--cpu-period", "100000", "--cpu-quota", "50000", "--cpuset-cpus", "0", "--ulimit", "nofile=512:512",
		"--shm-size", "32m", "--security-opt", "no-new-privileges", "--add-host", "db:10.1.2.3", "--cgroup-parent", parent,
		"--platform", "linux/amd64", "--isolation", "default", "--compress", "--disable-content-trust", dir)
	want := "mem=67108864 shares=512 quota=50000 cpus=0 nofile=512 nnp=1 shm=size=32768k host=10.1.2.3 cg=" + parent
	if !strings.Contains(out, want) {
		t.Errorf("RUN step's limits:\n%s\nwant %s", out, want)
	}
	for _, bad := range [][]string{
		{"--squash"}, {"--platform", "linux/arm64"}, {"--isolation", "hyperv"}, {"-m", "1k"}, {"--ulimit", "bogus=1"},
		{"--security-opt", "foo=bar"}, {"--add-host", "x"}, {"--memory-swap", "10m"}, {"--cgroup-parent", "../x"},
		{"--shm-size", "lots"}, {"--cpu-period", "10"},
	} {
		out, err := e.build(append(append([]string{"-q"}, bad...), dir)...)
		if err == nil || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("build %v: %v %q", bad, err, out)
		}
	}
}
