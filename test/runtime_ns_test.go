package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func hostNS(t *testing.T, name string) string {
	l, err := os.Readlink("/proc/self/ns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRuntimeNamespaces(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Hostname = "jinnhost"
		s.Domainname = "jinn.test"
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
		s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 86400 * 1000}}
	})
	out := e.sh(`echo pid=$$; hostname; domainname 2>/dev/null || cat /proc/sys/kernel/domainname;
		for n in net ipc uts mnt cgroup pid_for_children time_for_children user; do echo $n=$(readlink /proc/self/ns/$n); done;
		ls /sys/class/net; cut -d. -f1 /proc/uptime; cat /proc/self/cgroup | head -1`)
	for _, want := range []string{"pid=1\n", "jinnhost\n", "jinn.test\n", "lo\n", "user=" + hostNS(t, "user")} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	for _, n := range []string{"net", "ipc", "uts", "mnt", "cgroup"} {
		if strings.Contains(out, n+"="+hostNS(t, n)) {
			t.Errorf("%s namespace is the host's:\n%s", n, out)
		}
	}
	// boottime shifted by 1000 days: uptime is at least 86400000 s.
	for _, l := range strings.Split(out, "\n") {
		if n, err := strconv.Atoi(l); err == nil && n < 86400*1000 {
			t.Errorf("boottime offset not applied: uptime %d", n)
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(out), ":/") {
		t.Errorf("cgroup namespace root is not the container's cgroup:\n%s", out)
	}
}

func TestRuntimeUserNamespace(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 65536}}
	})
	// The mapped root must reach its rootfs through the test's 0700 dirs.
	for d := e.bundle; d != "/tmp"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	out := e.sh("cat /proc/self/uid_map /proc/self/gid_map; id -u; ls -ln /dev/null; echo x > /dev/null && echo devok")
	if !strings.Contains(out, "0     200000      65536") || !strings.HasPrefix(strings.Fields(out)[6], "0") || !strings.Contains(out, "devok") {
		t.Fatalf("user namespace:\n%s", out)
	}
	// create + start: the mapped root reopens the exec fifo to wait for start.
	e.edit(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	id := newID("userns")
	e.must("create", "--bundle", e.bundle, id)
	if st := e.state(id); st.Status != specs.StateCreated {
		t.Fatalf("after create: %s", st.Status)
	}
	e.must("start", id)
	if st := e.state(id); st.Status != specs.StateRunning {
		t.Fatalf("after start: %s", st.Status)
	}
	e.must("delete", "--force", id)
}

func TestRuntimeJoinNamespaces(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	a := newID("nsowner")
	e.must("run", "-d", a)
	pid := strconv.Itoa(e.state(a).Pid)
	want := map[string]string{}
	for _, n := range []string{"net", "ipc", "uts", "pid"} {
		want[n], _ = os.Readlink("/proc/" + pid + "/ns/" + n)
	}
	e.edit(func(s *specs.Spec) {
		s.Hostname = ""
		for i, ns := range s.Linux.Namespaces {
			switch ns.Type {
			case specs.NetworkNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.PIDNamespace:
				s.Linux.Namespaces[i].Path = "/proc/" + pid + "/ns/" + map[specs.LinuxNamespaceType]string{
					specs.NetworkNamespace: "net", specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.PIDNamespace: "pid"}[ns.Type]
			}
		}
	})
	out := e.sh("echo pid=$$; for n in net ipc uts pid; do echo $n=$(readlink /proc/self/ns/$n); done")
	for n, l := range want {
		if !strings.Contains(out, n+"="+l) {
			t.Errorf("%s not joined (%s):\n%s", n, l, out)
		}
	}
	if strings.Contains(out, "pid=1\n") {
		t.Errorf("joined pid namespace but is its init:\n%s", out)
	}
	e.must("delete", "--force", a)
}

// config-linux.md, Namespaces: "If a namespace type is not specified in the
// namespaces array, the container MUST inherit the runtime namespace of
// that type." The mount namespace too (issue 16 point 5: jinn refused "a
// mount namespace is required"): the container is chrooted into its rootfs
// in the runtime's mount namespace, its mounts made there, and delete takes
// them away (runtime.md, Delete: "Deleting a container MUST delete the
// resources that were created during the create step"; runc leaves them).
func TestRuntimeInheritsMissingNamespaces(t *testing.T) {
	for _, rt := range []string{"runc", "jinn-runtime"} {
		t.Run(rt, func(t *testing.T) {
			e := newRTWith(t, rt, func(s *specs.Spec) {
				s.Hostname = ""
				s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.PIDNamespace}}
				s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
			})
			if rt == "runc" {
				// runc leaves the container's mounts in the host's mount
				// namespace: take them away before newRT's check.
				t.Cleanup(func() {
					mi, _ := os.ReadFile("/proc/self/mountinfo")
					var mps []string
					for _, l := range strings.Split(string(mi), "\n") {
						if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], e.bundle+"/") {
							mps = append(mps, f[4])
						}
					}
					for i := len(mps) - 1; i >= 0; i-- {
						syscall.Unmount(mps[i], syscall.MNT_DETACH)
					}
				})
			}
			out := e.sh(`for n in mnt net ipc uts cgroup pid; do echo $n=$(readlink /proc/self/ns/$n); done
				ls /; touch /probe 2>/dev/null && echo writable || echo readonly`)
			for _, n := range []string{"mnt", "net", "ipc", "uts", "cgroup"} {
				if !strings.Contains(out, n+"="+hostNS(t, n)+"\n") {
					t.Errorf("%s namespace is not the runtime's:\n%s", n, out)
				}
			}
			if strings.Contains(out, "pid="+hostNS(t, "pid")+"\n") {
				t.Errorf("pid namespace is the runtime's, want a new one:\n%s", out)
			}
			if !strings.Contains(out, "bin\n") || strings.Contains(out, "boot\n") {
				t.Errorf("not in its rootfs:\n%s", out)
			}
			// config.md, Root: "readonly ... If true then the root
			// filesystem MUST be read-only inside the container" (runc
			// leaves it writable without a mount namespace).
			if rt == "jinn-runtime" && !strings.Contains(out, "readonly\n") {
				t.Errorf("root is writable:\n%s", out)
			}
			if rt == "jinn-runtime" {
				if mi, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mi), e.rootfs) {
					t.Errorf("mounts left under %s after delete", e.rootfs)
				}
				// An exec enters the same root.
				e.edit(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
				id := newID("nomnt")
				e.must("run", "-d", id)
				if out := e.must("exec", id, "ls", "/"); !strings.Contains(out, "bin\n") || strings.Contains(out, "boot\n") {
					t.Errorf("exec is not in the rootfs:\n%s", out)
				}
				e.must("delete", "--force", id)
				// What needs a mount namespace of its own is refused.
				e.edit(func(s *specs.Spec) { s.Linux.MaskedPaths = []string{"/proc/kcore"} })
				e.fails("need a mount namespace", "create", newID("nomnt"))
			}
		})
	}
}
