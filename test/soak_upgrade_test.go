package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEngineUpgrade: containers made by the previous build of jinn keep
// working under this one, on the same store: the old commit
// ($JINN_UPGRADE_FROM, default the first parent of HEAD) is built into a
// temporary directory, its binaries load an image and start a web server
// (port, volume, restart policy), a talker, a container that exited and
// one only created; then this build's binaries list them truthfully, show
// their logs, exec into them, stop, start and remove them, and nothing is
// left. A clone without that commit (shallow) skips, saying so.
func TestEngineUpgrade(t *testing.T) {
	from := os.Getenv("JINN_UPGRADE_FROM")
	if from == "" {
		from = "HEAD^1"
	}
	rev, err := exec.Command("git", "-C", "..", "rev-parse", "--verify", "--quiet", from+"^{commit}").Output()
	if err != nil {
		t.Skipf("no commit %q to upgrade from in this clone (a shallow clone has no history; set JINN_UPGRADE_FROM): %v", from, err)
	}
	commit := strings.TrimSpace(string(rev))
	oldBin := buildCommit(t, commit)

	j := newJinn(t, "jinn-runtime")
	t.Cleanup(func() { j.run("network", "prune", "-f") })
	old := j.with(t)
	old.bin = oldBin
	old.image()
	j.loaded = true
	old.ok("volume", "create", "site")
	w := newLeakWatch(j)
	old.ok("run", "--rm", "-v", "site:/www", "busybox", "sh", "-c", "echo hello-after-reboot > /www/index.html")
	ids := map[string]string{}
	ids["web"] = strings.TrimSpace(old.ok("run", "-d", "--name", "web", "-p", "127.0.0.1::80", "-v", "site:/www",
		"--restart", "always", "busybox", "httpd", "-f", "-p", "80", "-h", "/www"))
	ids["talker"] = strings.TrimSpace(old.ok("run", "-d", "--name", "talker", "busybox", "sh", "-c",
		"echo hello-from-old; while :; do sleep 0.1; done"))
	old.ok("run", "--name", "done", "busybox", "sh", "-c", "echo finished") // exits 0
	_, _, code := old.run("run", "--name", "failed", "busybox", "sh", "-c", "exit 3")
	if code != 3 {
		t.Fatalf("the old build's run of exit 3: %d", code)
	}
	ids["made"] = strings.TrimSpace(old.ok("create", "--name", "made", "busybox", "echo", "made-runs"))
	for _, n := range []string{"done", "failed"} {
		ids[n] = old.inspect(n, "{{.Id}}")
	}
	for _, id := range ids {
		w.saw(id)
	}
	waitFor(t, 5*time.Second, "the talker's first line", func() bool {
		out, _, _ := old.run("logs", "talker")
		return strings.Contains(out, "hello-from-old")
	})

	// This build, on the same store.
	ps := j.ok("ps", "-a", "--format", "{{.Names}} {{.State}} {{.Status}}")
	for n, want := range map[string]string{"web": "web running Up", "talker": "talker running Up",
		"done": "done exited Exited (0)", "failed": "failed exited Exited (3)", "made": "made created Created"} {
		if !strings.Contains(ps, want) {
			t.Errorf("ps -a does not show %s as %q:\n%s", n, want, ps)
		}
	}
	if out := j.ok("logs", "talker"); !strings.Contains(out, "hello-from-old") {
		t.Errorf("logs of the old build's container: %q", out)
	}
	if out := j.ok("logs", "done"); out != "finished\n" {
		t.Errorf("logs of the old build's exited container: %q", out)
	}
	if out := j.ok("exec", "web", "cat", "/www/index.html"); out != "hello-after-reboot\n" {
		t.Errorf("exec into the old build's container: %q", out)
	}
	j.servesSite("web")
	j.ok("stop", "-t", "1", "talker")
	if st := j.inspect("talker", "{{.State.Status}} {{.State.ExitCode}}"); st != "exited 137" {
		t.Errorf("the old build's container after stop: %q, want exited 137", st)
	}
	j.ok("start", "talker")
	waitFor(t, 5*time.Second, "the talker's second hello", func() bool {
		return strings.Count(j.ok("logs", "talker"), "hello-from-old") == 2
	})
	j.ok("restart", "-t", "1", "web")
	j.servesSite("web")
	if out := j.ok("start", "-a", "made"); out != "made-runs\n" {
		t.Errorf("start -a of the old build's created container: %q", out)
	}
	j.ok("rm", "-f", "web", "talker", "done", "failed", "made")
	j.ok("volume", "rm", "site")
	j.ok("network", "prune", "-f")
	w.assertNoLeaks(t)
}

// buildCommit builds jinn's binaries of a commit of this clone into a
// temporary directory (git archive: the clone's worktrees are left alone).
func buildCommit(t *testing.T, commit string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	archive := exec.Command("sh", "-c", `git -C .. archive "$1" | tar -x -C "$2"`, "sh", commit, src)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive %s: %v %s", commit, err, out)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	start := time.Now()
	build := exec.Command(goBin, "build", "-trimpath", "-o", filepath.Join(dir, "bin")+"/", "./cmd/...")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		if strings.Contains(string(out), "dial tcp") || strings.Contains(string(out), "module lookup disabled") {
			t.Skipf("cannot build %s here (its modules are not in the cache and there is no network): %s", commit[:12], out)
		}
		t.Fatalf("build %s: %v\n%s", commit[:12], err, out)
	}
	t.Logf("built %s in %v", commit[:12], time.Since(start).Round(time.Millisecond))
	return filepath.Join(dir, "bin")
}
