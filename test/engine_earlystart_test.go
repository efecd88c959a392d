package test

import (
	"strings"
	"testing"
	"time"
)

// TestEngineRunRmEarlyStartRefused: an attached `run --rm` starts its
// monitor and makes its network namespace (and for a bridge, the veth,
// address and rules) while its create still prepares the root filesystem.
// A create refused after that point (a -v destination that resolves to
// /proc through a symlink of the image: known only once the rootfs is
// mounted) answers 125 at once and leaves nothing: no container, monitor,
// netns, veth, allocation, rule, mount, cgroup or state record.
func TestEngineRunRmEarlyStartRefused(t *testing.T) {
	j := newJinn(t, "")
	img := j.image()
	j.ok("run", "--name", "mk", "--network", "none", img[0], "ln", "-s", "/proc", "/lnk")
	j.ok("commit", "mk", "earlylnk:1")
	j.ok("rm", "mk")
	w := newLeakWatch(j)
	host := t.TempDir()
	for _, net := range [][]string{{"--network", "none"}, nil} {
		start := time.Now()
		args := append(append([]string{"run", "--rm"}, net...), "-v", host+":/lnk", "earlylnk:1", "true")
		_, errs, code := j.run(args...)
		if code != 125 || !strings.Contains(errs, "resolves to") {
			t.Errorf("%v: exit %d %q, want 125 and the destination refused", net, code, errs)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%v: refused run took %v", net, d)
		}
		// The same run that passes the check still works.
		if out := j.ok(append(append([]string{"run", "--rm"}, net...), "-v", host+":/data", "earlylnk:1", "echo", "ran")...); strings.TrimSpace(out) != "ran" {
			t.Errorf("%v: run after the refused one: %q", net, out)
		}
	}
	if out := j.ok("ps", "-aq"); out != "" {
		t.Errorf("containers left: %s", out)
	}
	j.ok("network", "prune", "-f") // the default bridge stays until pruned, as docker's
	w.assertNoLeaks(t)
}
