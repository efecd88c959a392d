package test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A harmless host sysctl that is not namespaced: the escape tests aim their
// writes at it, and restore it if an attack ever gets through.
const canary = "/proc/sys/kernel/printk_ratelimit"

func watchCanary(t *testing.T) {
	t.Helper()
	before, err := os.ReadFile(canary)
	if err != nil {
		t.Skipf("no %s: %v", canary, err)
	}
	t.Cleanup(func() {
		after, _ := os.ReadFile(canary)
		if !bytes.Equal(before, after) {
			os.WriteFile(canary, before, 0)
			t.Errorf("ESCAPE: the container wrote the host's %s (%q -> %q)", canary, before, after)
		}
	})
}

// evil is the value the attacks try to write into the canary.
const evil = "4242"

// CVE-2019-5736: a process in the container catches a runtime process that
// joined it (exec), keeps an O_PATH handle on /proc/<pid>/exe, and once the
// runtime has exec'd away reopens the handle for writing to replace the
// host's jinn-runtime. The runtime runs its binary from a detached
// read-only mount (root) or a sealed memfd (rootless), so the handle leads
// to a file nobody can write: EROFS or EPERM.
func TestSecurityOverwriteRuntimeBinary(t *testing.T) {
	sum := func() [32]byte {
		b, err := os.ReadFile(bin("jinn-runtime"))
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before := sum()
	e := newSec(t, func(s *specs.Spec) {
		s.Root.Readonly = false
		s.Process.Args = []string{"sh", "-c", "jinn-attack exe 4s > /tmp/attack.log 2>&1"}
	})
	id := secID("exe")
	e.must("run", "-d", id)
	deadline := time.Now().Add(3500 * time.Millisecond)
	n := 0
	for ; time.Now().Before(deadline); n++ {
		e.run("exec", id, "true")
	}
	waitStatus(t, e, id, specs.StateStopped)
	log, _ := os.ReadFile(filepath.Join(e.rootfs, "tmp", "attack.log"))
	t.Logf("%d execs; attacker:\n%s", n, log)
	if sum() != before {
		t.Fatal("ESCAPE: the host's jinn-runtime binary was overwritten")
	}
	// The attacker must have met runtime processes: caught (their exe
	// opened, a read-only clone) or denied (a non-dumpable init hides its
	// exe: CVE-2016-9962's protection, which comes first). The
	// seal itself is proved from the host: TestRuntimeBinaryIsSealed,
	// TestRuntimeCRunBinaryIsSealed.
	var caught, wrote, denied int
	if _, err := fmt.Sscanf(lastLines(string(log), 1), "caught %d wrote %d denied %d", &caught, &wrote, &denied); err != nil {
		t.Fatalf("attacker did not finish: %v\n%s", err, log)
	}
	if wrote != 0 {
		t.Errorf("the attacker wrote to a runtime binary %d times", wrote)
	}
	if caught+denied == 0 {
		t.Errorf("the attacker met no runtime process in %d execs", n)
	}
	for _, l := range strings.Split(string(log), "\n") {
		if strings.HasPrefix(l, "caught ") && strings.HasSuffix(l, bin("jinn-runtime")) {
			t.Errorf("a runtime process in the container runs the host binary: %s", l)
		}
	}
	e.must("delete", id)
}

// CVE-2024-21626: process.cwd /proc/self/fd/N naming a host directory
// descriptor leaked into the init would start the process outside its
// root. No descriptor of the runtime's is left for it: each N either fails
// cleanly or lands inside the container.
func TestSecurityLeakedFdCwd(t *testing.T) {
	e := newSec(t, func(s *specs.Spec) { s.Process.Args = []string{"jinn-attack", "cwd"} })
	for n := 3; n < 12; n++ {
		cwd := "/proc/self/fd/" + strconv.Itoa(n)
		e.edit(func(s *specs.Spec) { s.Process.Cwd = cwd })
		out, stderr, code := e.run("run", secID("cwd"))
		if code != 0 {
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("cwd %s: error is not one line: %q", cwd, stderr)
			}
			continue
		}
		if strings.Contains(out, "unreachable") || strings.Contains(out, "work,") || !strings.Contains(out, "root bin,") {
			t.Errorf("ESCAPE: cwd %s puts the process outside the container:\n%s", cwd, out)
		}
	}
	// No descriptor of the runtime's reaches the process at all.
	e.edit(func(s *specs.Spec) { s.Process.Cwd = "/" })
	if out := e.must("run", secID("fds")); strings.Contains(out, "\nfd ") {
		t.Errorf("descriptors leaked into the container:\n%s", out)
	}
	// Same through exec --cwd.
	e.edit(func(s *specs.Spec) { s.Process.Cwd = "/"; s.Process.Args = []string{"sleep", "100"} })
	id := secID("cwd")
	e.must("run", "-d", id)
	for n := 3; n < 12; n++ {
		out, _, code := e.run("exec", "--cwd", "/proc/self/fd/"+strconv.Itoa(n), id, "jinn-attack", "cwd")
		if code == 0 && (strings.Contains(out, "unreachable") || strings.Contains(out, "work,") || !strings.Contains(out, "root bin,")) {
			t.Errorf("ESCAPE: exec --cwd /proc/self/fd/%d:\n%s", n, out)
		}
	}
	if out := e.must("exec", id, "jinn-attack", "cwd"); strings.Contains(out, "\nfd ") {
		t.Errorf("descriptors leaked into an exec'd process:\n%s", out)
	}
	e.must("delete", "--force", id)
}

// CVE-2019-16884 class: the image puts a symlink where /proc goes, so that
// procfs (and the masks on it) would land elsewhere and the container would
// see a /proc of the image's making. The runtime refuses such a /proc.
func TestSecurityProcSymlinkInImage(t *testing.T) {
	e := newSec(t, func(s *specs.Spec) { s.Process.Args = []string{"cat", "/proc/self/status"} })
	os.RemoveAll(filepath.Join(e.rootfs, "proc"))
	os.MkdirAll(filepath.Join(e.rootfs, "fakeproc", "self"), 0o755)
	os.WriteFile(filepath.Join(e.rootfs, "fakeproc", "self", "status"), []byte("fake\n"), 0o644)
	if err := os.Symlink("/fakeproc", filepath.Join(e.rootfs, "proc")); err != nil {
		t.Fatal(err)
	}
	e.fails("/proc", "run", secID("proc"))
	// /sys likewise.
	os.Remove(filepath.Join(e.rootfs, "proc"))
	os.Mkdir(filepath.Join(e.rootfs, "proc"), 0o555)
	os.RemoveAll(filepath.Join(e.rootfs, "sys"))
	os.Symlink("/fakeproc", filepath.Join(e.rootfs, "sys"))
	e.fails("/sys", "run", secID("sys"))
}

// CVE-2025-31133: the masked paths are hidden by bind-mounting /dev/null on
// them. An image whose /dev/null is a symlink to a host sysctl (with no
// tmpfs on /dev) would get that sysctl bound, writable, over a masked path.
func TestSecurityMaskedPathDevNullSymlink(t *testing.T) {
	watchCanary(t)
	e := newSec(t, func(s *specs.Spec) {
		var ms []specs.Mount
		for _, m := range s.Mounts {
			if !strings.HasPrefix(m.Destination, "/dev") {
				ms = append(ms, m)
			}
		}
		s.Mounts = ms
		s.Process.Args = []string{"sh", "-c", "for p in /proc/timer_list /proc/keys /proc/sched_debug; do [ -e $p ] && stat -L -c '%n %F %t:%T' $p; jinn-attack write $p " + evil + "; done"}
	})
	os.MkdirAll(filepath.Join(e.rootfs, "dev"), 0o755)
	os.Remove(filepath.Join(e.rootfs, "dev", "null"))
	if err := os.Symlink(canary, filepath.Join(e.rootfs, "dev", "null")); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := e.run("run", secID("devnull"))
	t.Logf("exit %d\n%s%s", code, out, stderr)
	if code != 0 {
		return // refused: fine, the canary check above has the last word
	}
	// Every masked file present is the null device, nothing else.
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "/proc/") && !strings.HasSuffix(l, "character special file 1:3") {
			t.Errorf("masked path is not /dev/null: %s", l)
		}
	}
}

// CVE-2025-52565: /dev/console is bound from the pty; an image whose
// /dev/console is a symlink to a host sysctl must not get the sysctl (or
// anything but the pty) there.
func TestSecurityConsoleSymlink(t *testing.T) {
	watchCanary(t)
	e := newSec(t, func(s *specs.Spec) {
		var ms []specs.Mount
		for _, m := range s.Mounts {
			if m.Destination != "/dev" {
				ms = append(ms, m)
			}
		}
		s.Mounts = ms
		s.Process.Terminal = true
		s.Process.Args = []string{"sh", "-c", "jinn-attack write /dev/console " + evil + "; ls -l /dev/console; echo done"}
	})
	os.MkdirAll(filepath.Join(e.rootfs, "dev", "pts"), 0o755)
	if err := os.Symlink(canary, filepath.Join(e.rootfs, "dev", "console")); err != nil {
		t.Fatal(err)
	}
	sock, ch := consoleReceiver(t)
	id := secID("console")
	_, stderr, code := e.run("create", "--console-socket", sock, id)
	if code != 0 {
		t.Logf("create refused: %s", stderr)
		return
	}
	master := <-ch
	if master == nil {
		t.Fatal("no pty master")
	}
	defer master.Close()
	e.must("start", id)
	out := readUntil(t, master, "done")
	t.Logf("%s", out)
	if !strings.Contains(out, "crw") {
		t.Errorf("/dev/console is not the pty:\n%s", out)
	}
	e.must("delete", "--force", id)
}

// CVE-2025-52881: the runtime's own writes to procfs (sysctl here) must go
// to procfs. A bind mount over /proc/sys/... (from the config or the
// image) would redirect them: jinn refuses to write through it.
func TestSecurityProcfsWriteRedirect(t *testing.T) {
	host := filepath.Join(t.TempDir(), "target")
	os.WriteFile(host, []byte("untouched\n"), 0o644)
	e := newSec(t, func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/proc/sys/kernel/domainname", Type: "bind", Source: host, Options: []string{"bind"}})
		s.Linux.Sysctl = map[string]string{"kernel.domainname": "redirected"}
	})
	_, stderr, code := e.run("run", secID("sysctl"))
	if b, _ := os.ReadFile(host); string(b) != "untouched\n" {
		t.Errorf("ESCAPE: the runtime's sysctl write went to a host file: %q", b)
	}
	if code == 0 {
		t.Errorf("sysctl through a bind mount accepted")
	} else if !strings.Contains(stderr, "procfs") {
		t.Errorf("unclear error: %s", stderr)
	}
}

// /proc and /sys are mounted so the container cannot change the host's
// settings through them: /proc/sys, /proc/sysrq-trigger and sysfs are
// read-only, and cannot be made writable again.
func TestSecurityProcSysReadOnly(t *testing.T) {
	watchCanary(t)
	e := newSec(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "jinn-attack write " + canary + " " + evil +
			"; jinn-attack openw /proc/sysrq-trigger /proc/sys/kernel/core_pattern /sys/kernel/mm/transparent_hugepage/enabled /proc/irq/default_smp_affinity" +
			"; jinn-attack remount /proc/sys /sys; cat /proc/kcore | wc -c"}
	})
	out := e.must("run", secID("procsys"))
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 1: // wc -c of the masked /proc/kcore
			if f[0] != "0" {
				t.Errorf("/proc/kcore readable: %s bytes", f[0])
			}
		case len(f) >= 3 && f[len(f)-1] == "ok":
			t.Errorf("ESCAPE: %s", l)
		case len(f) >= 3 && f[len(f)-1] != "EROFS" && f[len(f)-1] != "EPERM" && f[len(f)-1] != "ENOENT" && f[len(f)-1] != "EACCES":
			t.Errorf("unexpected: %s", l)
		}
	}
	t.Logf("%s", out)
}
