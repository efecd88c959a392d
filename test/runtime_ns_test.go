package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
