package test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jinn-containers/jinn/internal/testutil"
)

// TestCLIPullPushAllTags: push --all-tags pushes every local tag of a
// repository, pull --all-tags fetches every tag the registry has; a tag
// with -a is refused.
func TestCLIPullPushAllTags(t *testing.T) {
	host := testutil.OpenRegistry(t)
	src := newJinn(t, "")
	src.image()
	repo := host + "/lib/multi"
	for _, tag := range []string{"1", "2", "latest"} {
		src.ok("tag", "busybox", repo+":"+tag)
	}
	src.ok("tag", "busybox", host+"/lib/other:1")
	if out := src.ok("push", "-q", "--all-tags", repo); out != repo+":1\n"+repo+":2\n"+repo+":latest\n" {
		t.Errorf("push --all-tags -q: %q", out)
	}
	j := newJinn(t, "")
	j.ok("pull", "-q", "-a", repo)
	out := j.ok("images", "--format", "{{.Repository}}:{{.Tag}}")
	for _, tag := range []string{"1", "2", "latest"} {
		if !strings.Contains(out, repo+":"+tag+"\n") {
			t.Errorf("pull --all-tags: no %s:%s in\n%s", repo, tag, out)
		}
	}
	if strings.Contains(out, "other") {
		t.Errorf("pull --all-tags pulled another repository:\n%s", out)
	}
	for _, bad := range [][]string{{"pull", "-a", repo + ":1"}, {"push", "-a", repo + ":1"}, {"push", "-a", host + "/lib/none"}} {
		if _, errs, code := j.run(bad...); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d %q", bad, code, errs)
		}
	}
}

// TestCLILogsDetailsRmLink: logs --details puts the (empty) attributes
// before each line, as docker's json-file logs without labels or env;
// rm --link removes a legacy link and no container.
func TestCLILogsDetailsRmLink(t *testing.T) {
	j := newJinn(t, "")
	j.ok(j.runArgs([]string{"-d", "--name", "db", "--network", "none"}, "sh", "-c", "echo hi; sleep 100")...)
	waitFor(t, 5*time.Second, "db's line", func() bool { return j.ok("logs", "db") == "hi\n" })
	if out := j.ok("logs", "--details", "db"); out != " hi\n" {
		t.Errorf("logs --details: %q", out)
	}
	j.ok(append([]string{"create", "--name", "web", "--link", "db:redis"}, append(j.image(), "true")...)...)
	j.ok("rm", "--link", "/web/redis")
	if got := j.inspect("web", "{{.HostConfig.Links}}"); got != "[]" {
		t.Errorf("rm --link /web/redis: links %s", got)
	}
	if n := len(strings.Fields(j.ok("ps", "-aq"))); n != 2 {
		t.Errorf("rm --link removed a container: %d left", n)
	}
	for _, bad := range []string{"/web/redis", "/redis", "/nosuch/x"} {
		if _, errs, code := j.run("rm", "--link", bad); code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("rm --link %s: exit %d %q", bad, code, errs)
		}
	}
	j.ok("rm", "-f", "db", "web")
}

// TestCLIHostPlatformAndCheckpoint: history, image inspect, rmi and save
// take --platform for the host's platform only (jinn's images are the
// host's), and start --checkpoint is refused (no CRIU).
func TestCLIHostPlatformAndCheckpoint(t *testing.T) {
	j := newJinn(t, "")
	j.image()
	host := "linux/" + runtime.GOARCH
	j.ok("history", "--platform", host, "busybox")
	j.ok("image", "inspect", "--platform", host, "busybox")
	j.ok("save", "--platform", host, "-o", t.TempDir()+"/b.tar", "busybox")
	for _, bad := range [][]string{
		{"history", "--platform", "linux/s390x", "busybox"}, {"image", "inspect", "--platform", "windows/amd64", "busybox"},
		{"rmi", "--platform", "linux/s390x", "busybox"}, {"image", "save", "--platform", "linux/s390x", "busybox"},
		{"history", "--platform", "bogus", "busybox"},
	} {
		if _, errs, code := j.run(bad...); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d %q", bad, code, errs)
		}
	}
	if !strings.Contains(j.ok("images", "-q"), j.inspect("busybox", "{{.Id}}")[7:19]) {
		t.Errorf("a refused rmi --platform removed the image")
	}
	j.ok(j.runArgs([]string{"-d", "--name", "c", "--network", "none"}, "true")...)
	j.ok("wait", "c")
	if _, errs, code := j.run("start", "--checkpoint", "cp1", "c"); code != 125 || !strings.Contains(errs, "CRIU") {
		t.Errorf("start --checkpoint: exit %d %q", code, errs)
	}
	j.ok("rm", "-f", "c")
	j.ok("rmi", "--platform", host, "busybox")
}

// TestCLIContextEdit: context create, update and rm take docker's flags
// and refuse in one line what a daemonless jinn has no use for (its one
// context is the engine at --root); rm --force of no context is no error.
func TestCLIContextEdit(t *testing.T) {
	j := newJinn(t, "")
	for _, bad := range [][]string{
		{"context", "create", "--description", "d", "--docker", "host=unix:///run/x.sock", "other"},
		{"context", "update", "--description", "d", "default"}, {"context", "update", "nosuch"},
		{"context", "rm", "default"}, {"context", "rm", "nosuch"},
	} {
		if _, errs, code := j.run(bad...); code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d %q", bad, code, errs)
		}
	}
	j.ok("context", "rm", "--force", "nosuch")
	if got := j.ok("context", "ls", "-q"); got != "default\n" {
		t.Errorf("context ls -q: %q", got)
	}
}
