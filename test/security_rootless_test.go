package test

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Rootless: jinn-runtime run by an unprivileged user (a fresh uid with no
// privileges at all), its state under $XDG_RUNTIME_DIR, the bundle from
// `spec --rootless`. The container's root is that user, mapped.
func TestSecurityRootless(t *testing.T) {
	uid := uint32(50000 + rand.Intn(10000))
	dir := t.TempDir()
	for d := dir; d != "/tmp" && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	xdg := filepath.Join(dir, "xdg")
	bundle := filepath.Join(dir, "bundle")
	os.MkdirAll(xdg, 0o700)
	os.MkdirAll(bundle, 0o755)
	rt := filepath.Join(dir, "jinn-runtime")
	if err := copyFile(bin("jinn-runtime"), rt); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", busyboxRootfs(), filepath.Join(bundle, "rootfs")).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if out, err := exec.Command("chown", "-R", fmt.Sprintf("%d:%d", uid, uid), xdg, bundle).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	root := filepath.Join(xdg, "jinn")
	run := func(args ...string) (string, int) {
		t.Helper()
		c := exec.Command(rt, args...)
		c.Dir = bundle
		c.Env = []string{"XDG_RUNTIME_DIR=" + xdg, "PATH=/usr/bin:/bin", "HOME=" + dir}
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		// A file, not a pipe: a detached container keeps the runtime's stdio.
		f, err := os.CreateTemp(dir, "out")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c.Stdout, c.Stderr = f, f
		err = c.Run()
		out, _ := os.ReadFile(f.Name())
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	must := func(args ...string) string {
		t.Helper()
		out, code := run(args...)
		if code != 0 {
			t.Fatalf("jinn-runtime %v as uid %d: exit %d: %s", args, uid, code, out)
		}
		return out
	}
	t.Cleanup(func() {
		out, _ := run("--root", root, "list", "-q")
		for _, id := range strings.Fields(out) {
			run("--root", root, "delete", "--force", id)
		}
	})
	must("spec", "--rootless")
	p := filepath.Join(bundle, "config.json")
	b, _ := os.ReadFile(p)
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	s.Process.Terminal = false
	s.Process.Args = []string{"sh", "-c", "id -u; cat /proc/self/uid_map; stat -c '%u:%g' /bin/busybox; touch /tmp/x && stat -c 'new %u' /tmp/x; sleep 100"}
	s.Root.Readonly = false
	b, _ = json.Marshal(&s)
	os.WriteFile(p, b, 0o644)

	id := secID("rootless")
	must("--root", root, "run", "-d", "--pid-file", filepath.Join(xdg, "pid"), id)
	out := must("--root", root, "exec", id, "sh", "-c", "id -u; cat /proc/self/uid_map; stat -c '%u:%g' /bin/busybox; touch /tmp/y && stat -c 'new %u' /tmp/y; grep CapEff /proc/self/status")
	if f := strings.Fields(out); len(f) < 6 || f[0] != "0" || f[1] != "0" || f[2] != fmt.Sprint(uid) || f[4] != "0:0" || f[6] != "0" {
		t.Errorf("rootless container:\n%s", out)
	}
	// The new file belongs to the unprivileged user on the host.
	if fi, err := os.Stat(filepath.Join(bundle, "rootfs", "tmp", "y")); err != nil || fi.Sys().(*syscall.Stat_t).Uid != uid {
		t.Errorf("file made in the container: %v %+v", err, fi)
	}
	st := must("--root", root, "state", id)
	if !strings.Contains(st, `"running"`) {
		t.Errorf("state: %s", st)
	}
	if _, err := os.Stat(filepath.Join(root, id)); err != nil {
		t.Errorf("state not under $XDG_RUNTIME_DIR: %v", err)
	}
	// Still a prisoner: root inside is nobody outside.
	out, _ = run("--root", root, "exec", id, "sh", "-c", "echo 1 > /proc/sys/kernel/printk_ratelimit; echo rc=$?")
	if !strings.Contains(out, "rc=1") {
		t.Errorf("rootless container wrote a host sysctl: %s", out)
	}
	must("--root", root, "kill", id, "KILL")
	must("--root", root, "delete", "--force", id)

	// Without --root, the state goes under $XDG_RUNTIME_DIR.
	s.Process.Args = []string{"true"}
	b, _ = json.Marshal(&s)
	os.WriteFile(p, b, 0o644)
	id = secID("rootless")
	must("create", id)
	if _, err := os.Stat(filepath.Join(xdg, "jinn-runtime", id)); err != nil {
		t.Errorf("default root of an unprivileged user: %v", err)
	}
	must("delete", "--force", id)
}
