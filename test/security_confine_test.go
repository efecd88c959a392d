package test

import (
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var dockerCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

// Docker's default profile in a jinn container behaves as under runc:
// unshare, mount and keyctl fail with EPERM, ordinary programs run. Both
// loading orders: with no_new_privs (filter last) and without (filter while
// CAP_SYS_ADMIN is still held), as root and as another user.
func TestSecuritySeccompDockerProfile(t *testing.T) {
	for _, c := range []struct {
		name string
		nnp  bool
		uid  uint32
	}{{"nnp-root", true, 0}, {"root", false, 0}, {"user", false, 1000}} {
		t.Run(c.name, func(t *testing.T) {
			e := newSec(t, func(s *specs.Spec) {
				s.Process.NoNewPrivileges = c.nnp
				s.Process.User = specs.User{UID: c.uid, GID: c.uid}
				s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: dockerCaps, Effective: dockerCaps, Permitted: dockerCaps}
				sc, err := mobyseccomp.GetDefaultProfile(s)
				if err != nil {
					t.Fatal(err)
				}
				s.Linux.Seccomp = sc
				if c.nnp {
					sc.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow}
				}
				s.Process.Args = []string{"sh", "-c", "jinn-attack syscalls; ls / >/dev/null && echo ls ok; grep Seccomp: /proc/self/status"}
			})
			out := e.must("run", secID("seccomp"))
			for _, want := range []string{"unshare EPERM", "mount EPERM", "keyctl EPERM", "getcwd ok", "vsock EPERM", "ls ok", "Seccomp:\t2"} {
				if !strings.Contains(out, want+"\n") {
					t.Errorf("want %q in:\n%s", want, out)
				}
			}
		})
	}
}

// The five sets are exactly the spec's, in the init and in exec; --cap adds
// one; an unknown name fails create with a clear error.
func TestSecurityCapabilities(t *testing.T) {
	const chown, kill, nbs, sysAdmin = 1 << 0, 1 << 5, 1 << 10, 1 << 21
	e := newSec(t, func(s *specs.Spec) {
		s.Process.Capabilities = &specs.LinuxCapabilities{
			Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"},
			Effective:   []string{"CAP_CHOWN", "CAP_KILL"},
			Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"},
			Inheritable: []string{"CAP_NET_BIND_SERVICE"},
			Ambient:     []string{"CAP_NET_BIND_SERVICE"},
		}
		s.Process.Args = []string{"sleep", "100"}
	})
	id := secID("caps")
	e.must("run", "-d", id)
	check := func(what, out string, want map[string]uint64) {
		t.Helper()
		got := capSets(out)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %#x, want %#x", what, k, got[k], v)
			}
		}
	}
	// As under runc (checked side by side): execve adds the ambient set to
	// the effective one.
	spec := map[string]uint64{"CapBnd": chown | kill | nbs | sysAdmin, "CapPrm": chown | kill | nbs,
		"CapEff": chown | kill | nbs, "CapInh": nbs, "CapAmb": nbs}
	check("init", e.must("exec", id, "cat", "/proc/1/status"), spec)
	check("exec", e.must("exec", id, "cat", "/proc/self/status"), spec)
	withAdmin := map[string]uint64{"CapBnd": chown | kill | nbs | sysAdmin, "CapPrm": chown | kill | nbs | sysAdmin,
		"CapEff": chown | kill | nbs | sysAdmin, "CapInh": nbs}
	check("exec --cap", e.must("exec", "--cap", "CAP_SYS_ADMIN", id, "cat", "/proc/self/status"), withAdmin)
	e.fails(`unknown capability \"CAP_BOGUS\"`, "exec", "--cap", "CAP_BOGUS", id, "true")
	e.must("delete", "--force", id)

	e.edit(func(s *specs.Spec) {
		s.Process.Capabilities.Effective = append(s.Process.Capabilities.Effective, "CAP_MAKE_COFFEE")
	})
	e.fails(`unknown capability \"CAP_MAKE_COFFEE\"`, "run", secID("caps"))
}

// CVE-2022-29162: runc exec gave processes an inheritable set, which a
// program with inheritable file capabilities turned into real privileges
// for a non-root user. A binary with file capabilities (inheritable
// CAP_NET_ADMIN, effective bit) run as uid 1000 after `exec --cap` must gain
// nothing.
func TestSecurityInheritableCapsDoNotLeak(t *testing.T) {
	e := newSec(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	dir := filepath.Join(e.rootfs, "fcap")
	if err := copyFile(filepath.Join(e.rootfs, "bin", "busybox"), filepath.Join(dir, "busybox")); err != nil {
		t.Fatal(err)
	}
	// vfs_cap_data, revision 2: effective bit, inheritable CAP_NET_ADMIN.
	const netAdmin = 1 << 12
	xattr := make([]byte, 20)
	binary.LittleEndian.PutUint32(xattr[0:], 0x02000000|1)
	binary.LittleEndian.PutUint32(xattr[8:], netAdmin) // inheritable, low word
	if err := unix.Setxattr(filepath.Join(dir, "busybox"), "security.capability", xattr, 0); err != nil {
		t.Skipf("cannot set file capabilities here: %v", err)
	}
	id := secID("inh")
	e.must("run", "-d", id)
	for _, args := range [][]string{
		{"exec", "--user", "1000:1000", "--cap", "CAP_NET_ADMIN", id},
		{"exec", "--user", "1000:1000", id},
		{"exec", "--cap", "CAP_NET_ADMIN", id},
	} {
		out := e.must(append(args, "/fcap/busybox", "grep", "Cap", "/proc/self/status")...)
		got := capSets(out)
		if got["CapInh"] != 0 {
			t.Errorf("%v: inheritable set %#x leaked", args, got["CapInh"])
		}
		if strings.Contains(strings.Join(args, " "), "1000") && (got["CapPrm"]|got["CapEff"])&netAdmin != 0 {
			t.Errorf("%v: uid 1000 gained CAP_NET_ADMIN through file capabilities:\n%s", args, out)
		}
	}
	e.must("delete", "--force", id)
}

// linux.personality LINUX32 shows in uname; apparmorProfile and
// selinuxLabel are ignored with a warning on a host that has neither.
func TestSecurityPersonalityAndLSM(t *testing.T) {
	e := newSec(t, func(s *specs.Spec) {
		s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
		s.Process.ApparmorProfile = "docker-default"
		s.Process.SelinuxLabel = "system_u:system_r:container_t:s0"
		s.Process.Args = []string{"uname", "-m"}
	})
	out, stderr, code := e.run("run", secID("pers"))
	if code != 0 || strings.TrimSpace(out) != "i686" {
		t.Errorf("personality LINUX32: exit %d, uname -m %q, %s", code, out, stderr)
	}
	if !strings.Contains(stderr, "apparmorProfile ignored") || !strings.Contains(stderr, "selinuxLabel ignored") {
		t.Errorf("no warning for the ignored LSM fields: %q", stderr)
	}
	e.edit(func(s *specs.Spec) {
		s.Linux.Personality = &specs.LinuxPersonality{Domain: "LINUX64"}
		s.Process.ApparmorProfile, s.Process.SelinuxLabel = "", ""
	})
	e.fails("personality", "run", secID("pers"))
}
