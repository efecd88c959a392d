package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// checkCgroups fails unless every line of a /proc/*/cgroup file puts the
// task in /jinn/<id>; named hierarchies (name=systemd) are not jinn's.
func checkCgroups(t *testing.T, what, cgroupFile, id string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(cgroupFile), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) != 3 || strings.HasPrefix(f[1], "name=") {
			continue
		}
		if want := "/" + suite.cgroupParent + "/" + id; f[2] != want {
			t.Errorf("%s is in %q, want %s", what, l, want)
		}
	}
}

// The init's main thread (the one that forks hooks and execs the user
// program) is in /jinn/<id> on every hierarchy jinn manages once create
// returns: it wrote "0" to each v1 tasks file, and clone3 started it in
// the cgroup2 one.
func TestRuntimeInitInCgroup(t *testing.T) {
	e := newRT(t, nil)
	id := newID("cgborn")
	e.must("create", id)
	pid := strconv.Itoa(e.state(id).Pid)
	b, err := os.ReadFile("/proc/" + pid + "/task/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	checkCgroups(t, "the init's main thread", string(b), id)
	e.must("delete", "--force", id)
}

// In a new user namespace the init has no right to open the host's tasks
// files; the parent opened them and the C stage, with one thread yet,
// joins the whole process before the runtime starts.
func TestRuntimeUserNamespaceInCgroup(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 65536}}
		// Without a cgroup namespace /proc/self/cgroup shows host paths.
		var ns []specs.LinuxNamespace
		for _, n := range s.Linux.Namespaces {
			if n.Type != specs.CgroupNamespace {
				ns = append(ns, n)
			}
		}
		s.Linux.Namespaces = ns
	})
	for d := e.bundle; d != "/tmp"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	id := newID("cguserns")
	e.edit(func(s *specs.Spec) { s.Process.Args = []string{"cat", "/proc/self/cgroup"} })
	checkCgroups(t, "the user program", e.must("run", id), id)
}

// A pids limit holds from the first fork of the user program, and does not
// keep the init (born in the cgroup with its runtime's few threads: it runs
// with GOMAXPROCS=1) from starting. (A limit below the init's thread count,
// about 5, still fails the create.)
func TestRuntimeTightPidsLimit(t *testing.T) {
	limit := int64(10)
	e := newRT(t, func(s *specs.Spec) {
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: &limit}
	})
	out := e.sh("cat /sys/fs/cgroup/pids/pids.max; (for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 1 & done; wait) 2>/dev/null; echo forks $?")
	if !strings.HasPrefix(out, "10\n") || !strings.Contains(out, "forks 2") {
		t.Fatalf("pids limit:\n%s", out)
	}
}

// An exec into a container at its pids limit starts: the exec's runtime
// threads are not counted, only its main thread enters the cgroup
// (launch.cgroupLate), and the user program then is one task more, which a
// move into a cgroup is allowed. The container holds 1 task of 2. Debian's
// runc 1.1 is not the reference here: its exec fails in most runs on an
// idle machine ("runtime/cgo: pthread_create failed"), even 5 tasks below
// the limit, as its init's Go threads are counted.
func TestRuntimeExecTightPids(t *testing.T) {
	if pureCgroup2() {
		// There the exec is born in the cgroup2 one (CLONE_INTO_CGROUP),
		// its runtime's threads included.
		t.Skipf("the pids controller is on cgroup2 here: jinn's exec needs its runtime's threads below pids.max")
	}
	for _, rt := range []string{"jinn-runtime"} {
		t.Run(rt, func(t *testing.T) {
			limit := int64(2)
			e := newRTWith(t, rt, func(s *specs.Spec) {
				s.Process.Args = []string{"sleep", "1000"}
				s.Linux.Resources = &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
			})
			id := newID("execpids")
			e.must("run", "-d", id)
			if out := e.must("exec", id, "echo", "ok"); out != "ok\n" {
				t.Errorf("exec: %q", out)
			}
			e.must("delete", "--force", id)
		})
	}
}

// An exec'd process is in the container's cgroup before its program runs
// (its main thread writes "0" to each v1 tasks file, clone3 starts it in
// the cgroup2 one), with a user namespace too.
func TestRuntimeExecInCgroup(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "30"}
		var ns []specs.LinuxNamespace
		for _, n := range s.Linux.Namespaces {
			if n.Type != specs.CgroupNamespace {
				ns = append(ns, n)
			}
		}
		s.Linux.Namespaces = ns
	})
	id := newID("cgexec")
	e.must("run", "-d", id)
	defer e.run("delete", "--force", id)
	checkCgroups(t, "the exec'd process", e.must("exec", id, "cat", "/proc/self/cgroup"), id)
}

func TestRuntimeExecInCgroupUserNamespace(t *testing.T) {
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "30"}
		var ns []specs.LinuxNamespace
		for _, n := range s.Linux.Namespaces {
			if n.Type != specs.CgroupNamespace {
				ns = append(ns, n)
			}
		}
		s.Linux.Namespaces = append(ns, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 65536}}
	})
	for d := e.bundle; d != "/tmp"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	id := newID("cgexecuserns")
	e.must("run", "-d", id)
	defer e.run("delete", "--force", id)
	checkCgroups(t, "the exec'd process", e.must("exec", id, "cat", "/proc/self/cgroup"), id)
}
