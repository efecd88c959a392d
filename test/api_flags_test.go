package test

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jinn-containers/jinn/internal/testutil"
)

// TestAPIFlagsViaDocker: docker 28's CLI against `jinn system service`
// gets the new flags' effects through the API: create's IOPS limits,
// link-local addresses, connect's EndpointConfig (IPv6
// address, interface name, gateway priority), build's limits, the image
// endpoints' host-only platform, push/pull --all-tags, rm --link; and
// run --use-api-socket mounts the service's socket.
func TestAPIFlagsViaDocker(t *testing.T) {
	needCgroupV1(t, "blkio", "memory")
	j := netJinn(t)
	j.image()
	a := &apiEnv{jinnEnv: j, dir: t.TempDir()}
	a.sock = filepath.Join(j.runroot, "docker.sock")
	a.start()
	cli := dockerCLIs(t)[0]
	dev := blockDevice(t)

	a.dockerOK(cli, "network", "create", "--subnet", "10.87.97.0/24", "--ipv6", "--subnet", "fd00:87:97::/64", "apinet")
	a.dockerOK(cli, "network", "create", "--subnet", "10.87.98.0/24", "apiaux")
	a.dockerOK(cli, "run", "-d", "--name", "box", "--network", "apinet", "--device-write-iops", dev+":300",
		"--link-local-ip", "169.254.9.9", "busybox", "sleep", "600")
	if got := hostCgroupFile(t, j, "box", "blkio", "blkio.throttle.write_iops_device"); !strings.Contains(got, devMajMin(t, dev)+" 300") {
		t.Errorf("--device-write-iops through the API: %q", got)
	}
	if out := a.dockerOK(cli, "exec", "box", "ip", "addr", "show", "eth0"); !strings.Contains(out, "169.254.9.9/32") {
		t.Errorf("--link-local-ip through the API:\n%s", out)
	}
	a.dockerOK(cli, "network", "connect", "--driver-opt", "com.docker.network.endpoint.ifname=aux0", "--gw-priority", "3", "apiaux", "box")
	if out := a.dockerOK(cli, "exec", "box", "ip", "route"); !strings.Contains(out, "default via 10.87.98.1 dev aux0") {
		t.Errorf("connect --gw-priority, ifname through the API:\n%s", out)
	}
	if out := a.dockerOK(cli, "inspect", "-f", "{{.NetworkSettings.Networks.apiaux.GwPriority}} {{.NetworkSettings.Networks.apiaux.DriverOpts}}", "box"); out != "3 map[com.docker.network.endpoint.ifname:aux0]\n" {
		t.Errorf("inspect through the API: %q", out)
	}
	a.dockerOK(cli, "network", "disconnect", "apiaux", "box")
	a.dockerOK(cli, "stop", "-t", "0", "box")
	a.dockerOK(cli, "network", "create", "--subnet", "10.87.99.0/24", "--ipv6", "--subnet", "fd00:87:99::/64", "apiv6")
	a.dockerOK(cli, "network", "connect", "--ip6", "fd00:87:99::5", "apiv6", "box")
	a.dockerOK(cli, "start", "box")
	if out := a.dockerOK(cli, "exec", "box", "ip", "-6", "addr"); !strings.Contains(out, "fd00:87:99::5/64") {
		t.Errorf("connect --ip6 to a stopped container through the API, then start:\n%s", out)
	}
	if _, errb, code := a.docker(cli, "", "network", "connect", "--ip6", "fd00:87:98::5", "apiaux", "box"); code == 0 || !strings.Contains(errb, "--ip6") {
		t.Errorf("connect --ip6 to an IPv4 network: %d %q", code, errb)
	}
	a.dockerOK(cli, "run", "-d", "--name", "own", "--network", "name=apinet,driver-opt=com.docker.network.endpoint.ifname=own0,gw-priority=2",
		"busybox", "sleep", "600")
	if out := a.dockerOK(cli, "exec", "own", "ip", "route"); !strings.Contains(out, "default via 10.87.97.1 dev own0") {
		t.Errorf("run --network name=,driver-opt=ifname through the API:\n%s", out)
	}
	a.dockerOK(cli, "rm", "-f", "own")
	a.dockerOK(cli, "create", "--name", "web", "--network", "apinet", "--link", "box:bx", "busybox", "true")
	a.dockerOK(cli, "rm", "--link", "/web/bx")
	if out := a.dockerOK(cli, "inspect", "-f", "{{.HostConfig.Links}}", "web"); out != "[]\n" {
		t.Errorf("rm --link through the API: %q", out)
	}
	a.dockerOK(cli, "rm", "-f", "box", "web")

	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM busybox\nRUN echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) nofile=$(ulimit -n) host=$(grep db /etc/hosts | cut -f1)\n"})
	if out := a.dockerOK(cli, "build", "--no-cache", "-m", "48m", "--ulimit", "nofile=256:256", "--add-host", "db:10.9.8.7", dir); !strings.Contains(out, "mem=50331648 nofile=256 host=10.9.8.7") {
		t.Errorf("build limits through the API:\n%s", out)
	}
	if _, errb, code := a.docker(cli, "", "build", "--platform", "linux/s390x", dir); code == 0 || !strings.Contains(errb, "platform") {
		t.Errorf("build --platform linux/s390x through the API: %d %q", code, errb)
	}

	a.dockerOK(cli, "image", "inspect", "--platform", "linux/"+runtime.GOARCH, "busybox")
	for _, bad := range [][]string{{"image", "inspect", "--platform", "linux/s390x", "busybox"}, {"history", "--platform", "linux/s390x", "busybox"},
		{"rmi", "--platform", "linux/s390x", "busybox"}} {
		if _, errb, code := a.docker(cli, "", bad...); code == 0 || !strings.Contains(errb, "platform linux/s390x is not supported") {
			t.Errorf("%v through the API: %d %q", bad, code, errb)
		}
	}

	reg := testutil.OpenRegistry(t)
	for _, tag := range []string{"a", "b"} {
		a.dockerOK(cli, "tag", "busybox", reg+"/lib/all:"+tag)
	}
	if out := a.dockerOK(cli, "push", "--all-tags", reg+"/lib/all"); !strings.Contains(out, "a: digest:") || !strings.Contains(out, "b: digest:") {
		t.Errorf("push --all-tags through the API:\n%s", out)
	}
	a.dockerOK(cli, "rmi", reg+"/lib/all:a", reg+"/lib/all:b")
	a.dockerOK(cli, "pull", "--all-tags", reg+"/lib/all")
	// Only the tags the reference names, though busybox:latest is the same image.
	if out := a.dockerOK(cli, "images", "--format", "{{.Tag}}", reg+"/lib/all"); out != "a\nb\n" && out != "b\na\n" {
		t.Errorf("pull --all-tags through the API, images REPO: %q", out)
	}

	out := j.ok(j.runArgs([]string{"--rm", "--network", "none", "--use-api-socket"}, "sh", "-c", "echo $DOCKER_HOST; test -S /var/run/docker.sock && echo socket")...)
	if out != "unix:///var/run/docker.sock\nsocket\n" {
		t.Errorf("run --use-api-socket: %q", out)
	}
}
