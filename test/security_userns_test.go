package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func withUserNS(s *specs.Spec) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 300000, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 300000, Size: 65536}}
}

// openPath lets the mapped root reach its rootfs through the test's 0700
// temporary directories.
func openPath(e *rtEnv) {
	for d := e.bundle; d != "/tmp" && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
}

// User namespaces: a rootfs unpacked by host root, run with ids mapped to
// 300000+, shows its files as root's inside (an idmapped mount), not as
// nobody's; what the container makes is owned on disk as the image's files
// are; and root inside is not root outside.
func TestSecurityUserNamespaceOwnership(t *testing.T) {
	watchCanary(t)
	e := newSec(t, func(s *specs.Spec) {
		withUserNS(s)
		s.Root.Readonly = false
		s.Process.Args = []string{"sh", "-c", "id -u; stat -c '%u:%g' /bin/busybox /etc/passwd; touch /tmp/made; stat -c '%u' /tmp/made; cat /proc/self/uid_map; jinn-attack write " + canary + " " + evil}
	})
	openPath(e)
	out := e.must("run", secID("userns"))
	lines := strings.Split(out, "\n")
	if len(lines) < 6 || lines[0] != "0" || lines[1] != "0:0" || lines[2] != "0:0" || lines[3] != "0" ||
		!strings.Contains(lines[4], "300000") || !strings.Contains(out, "write "+canary+" E") {
		t.Fatalf("user namespace:\n%s", out)
	}
	fi, err := os.Stat(filepath.Join(e.rootfs, "tmp", "made"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 0 {
		t.Errorf("file made by the container's root owned by %d on disk, want 0 (as the image's files)", uid)
	}
}

// The masked-path attack (CVE-2025-31133) in a user namespace, where device
// nodes are bind mounts of the host's and the image's /dev/null symlink is
// followed: the runtime must refuse to mask with anything but the null
// device.
func TestSecurityUserNamespaceMaskedDevNull(t *testing.T) {
	watchCanary(t)
	e := newSec(t, func(s *specs.Spec) {
		withUserNS(s)
		var ms []specs.Mount
		for _, m := range s.Mounts {
			if !strings.HasPrefix(m.Destination, "/dev") {
				ms = append(ms, m)
			}
		}
		s.Mounts = ms
		s.Process.Args = []string{"sh", "-c", "for p in /proc/timer_list /proc/keys; do jinn-attack write $p " + evil + "; done"}
	})
	openPath(e)
	os.MkdirAll(filepath.Join(e.rootfs, "dev"), 0o755)
	if err := os.Symlink(canary, filepath.Join(e.rootfs, "dev", "null")); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := e.run("run", secID("usernull"))
	t.Logf("exit %d\n%s%s", code, out, stderr)
	if code == 0 && strings.Contains(out, " ok") {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasSuffix(l, " ok") {
				t.Errorf("write through a masked path succeeded: %s", l)
			}
		}
	}
}

// Confinement inside a user namespace: Docker's seccomp profile and exact
// capabilities for the init and for exec, and the mapped root still cannot
// mount or unshare.
func TestSecurityUserNamespaceConfine(t *testing.T) {
	e := newSec(t, func(s *specs.Spec) {
		withUserNS(s)
		s.Process.NoNewPrivileges = false
		s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: dockerCaps, Effective: dockerCaps, Permitted: dockerCaps}
		sc, err := mobyseccomp.GetDefaultProfile(s)
		if err != nil {
			t.Fatal(err)
		}
		s.Linux.Seccomp = sc
		s.Process.Args = []string{"sleep", "100"}
	})
	openPath(e)
	id := secID("usercaps")
	e.must("run", "-d", id)
	out := e.must("exec", id, "sh", "-c", "jinn-attack syscalls; grep -E 'CapBnd|Seccomp:' /proc/self/status")
	for _, want := range []string{"unshare EPERM", "mount EPERM", "keyctl EPERM", "Seccomp:\t2", "CapBnd:\t00000000a80425fb"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	e.must("delete", "--force", id)
}

// Idmapped bind mounts (runtime-spec 1.2 mount uidMappings/gidMappings):
// a host directory whose files belong to uid 0 shows them as the mapped
// ids, read-only when asked; a bad request fails with a clear error.
func TestSecurityIdmappedBindMount(t *testing.T) {
	vol := filepath.Join(t.TempDir(), "vol")
	os.MkdirAll(vol, 0o755)
	os.WriteFile(filepath.Join(vol, "f"), []byte("x"), 0o644)
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1234, Size: 1}}
	e := newSec(t, func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/vol", Type: "bind", Source: vol,
			Options: []string{"bind", "idmap", "ro"}, UIDMappings: m, GIDMappings: m})
		s.Process.Args = []string{"sh", "-c", "stat -c '%u:%g' /vol/f; echo y > /vol/g; echo rc=$?"}
	})
	out := e.must("run", secID("idmapbind"))
	if !strings.HasPrefix(out, "1234:1234\n") || !strings.Contains(out, "rc=1") {
		t.Errorf("idmapped bind mount:\n%s", out)
	}
	e.edit(func(s *specs.Spec) { s.Mounts[len(s.Mounts)-1].GIDMappings = nil })
	e.fails("gidMappings", "run", secID("idmapbind"))
}

// Where the rootfs's filesystem cannot be idmapped (ramfs), the runtime
// shifts the owners on disk to the mapped ids instead.
func TestSecurityUserNamespaceChownFallback(t *testing.T) {
	e := newSec(t, func(s *specs.Spec) {
		withUserNS(s)
		s.Process.Args = []string{"sh", "-c", "stat -c '%u:%g' /bin/busybox /etc/passwd"}
	})
	openPath(e)
	tmp := e.rootfs + ".copy"
	if err := os.Rename(e.rootfs, tmp); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(e.rootfs, 0o755)
	if err := syscall.Mount("ramfs", e.rootfs, "ramfs", 0, "mode=755"); err != nil {
		t.Skipf("no ramfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(e.rootfs, syscall.MNT_DETACH) })
	if out, err := exec.Command("cp", "-a", tmp+"/.", e.rootfs).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	out, stderr, code := e.run("run", secID("chown"))
	if code != 0 || out != "0:0\n0:0\n" {
		t.Fatalf("exit %d, owners inside:\n%s%s", code, out, stderr)
	}
	fi, _ := os.Stat(filepath.Join(e.rootfs, "bin", "busybox"))
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 300000 {
		t.Errorf("busybox owned by %d on disk, want 300000", uid)
	}
}
