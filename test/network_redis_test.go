package test

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// redisRootfs is the busybox fixture plus the host's redis-server and
// redis-cli with the libraries they link.
func redisRootfs(t *testing.T) string {
	t.Helper()
	for _, b := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed (apt-get install -y redis-server)", b)
		}
	}
	root := copyRootfs(t)
	script := `set -e
root=$1
copy() { for f in "$@"; do [ -e "$f" ] || continue; mkdir -p "$root$(dirname "$f")"; cp -aL "$f" "$root$f"; done; }
for b in $(readlink -f "$(command -v redis-server)") $(command -v redis-cli); do
	copy "$b"; copy $(ldd "$b" | grep -o '/[^ ]*')
done
ln -sf "$(readlink -f "$(command -v redis-server)")" "$root/usr/bin/redis-server"`
	if out, err := exec.Command("bash", "-c", script, "mkredis", root).CombinedOutput(); err != nil {
		t.Fatalf("make redis rootfs: %v\n%s", err, out)
	}
	return root
}

// TestNetworkRedisByName: a redis container on a user network is reached
// by name from another container (redis-cli -h redis ping).
func TestNetworkRedisByName(t *testing.T) {
	j := newJinn(t, "")
	j.rootfs = redisRootfs(t)
	j.ok("network", "create", "backend")
	j.ok(j.runArgs([]string{"-d", "--name", "redis", "--network", "backend"}, "redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no")...)
	waitFor(t, 10*time.Second, "redis to answer", func() bool {
		o, _, code := j.run(j.runArgs([]string{"--rm", "--network", "backend"}, "redis-cli", "-h", "redis", "ping")...)
		return code == 0 && strings.TrimSpace(o) == "PONG"
	})
	// And not from the default bridge: the name does not resolve there and
	// the address is not reachable.
	if o, _, code := j.run(j.runArgs([]string{"--rm"}, "sh", "-c", "timeout 3 redis-cli -h redis ping")...); code == 0 && strings.Contains(o, "PONG") {
		t.Errorf("redis reached from the default bridge: %q", o)
	}
	j.ok("rm", "-f", "redis")
	j.ok("network", "rm", "backend")
	j.assertNetClean()
}
