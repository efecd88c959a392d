package test

import (
	"strings"
	"testing"
	"time"
)

// TestNetworkRedisByName: a redis container on a user network is reached
// by name from another container (redis-cli -h redis ping), and not from
// the default bridge.
func TestNetworkRedisByName(t *testing.T) {
	j := netJinn(t)
	loadApp(t, j, "redis")
	j.ok("network", "create", "backend")
	j.ok("run", "-d", "--name", "redis", "--network", "backend", "redis")
	var out, errs string
	deadline := time.Now().Add(10 * time.Second)
	for {
		o, e, code := j.run("run", "--rm", "--network", "backend", "redis", "redis-cli", "-h", "redis", "ping")
		out, errs = o, e
		if code == 0 && strings.TrimSpace(o) == "PONG" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-cli -h redis ping: %q %q", out, errs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if o, _, code := j.run("run", "--rm", "redis", "timeout", "3", "redis-cli", "-h", "redis", "ping"); code == 0 && strings.Contains(o, "PONG") {
		t.Errorf("redis reached from the default bridge: %q", o)
	}
	j.ok("rm", "-f", "redis")
	j.ok("network", "rm", "backend")
}
