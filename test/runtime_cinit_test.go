package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The C init (internal/nsexec/cinit.c) and the Go init must make the same
// container from the same config: one config with most of what the C init
// covers, run both ways (JINN_RUNTIME_CINIT=0 and 1), the container's own
// view of itself compared line by line.
func TestRuntimeCInitBothWays(t *testing.T) {
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), []byte("from the host\n"), 0o644)
	os.Mkdir(filepath.Join(host, "sub"), 0o755)
	hook := filepath.Join(host, "hook.sh")
	os.WriteFile(hook, []byte("#!/bin/sh\necho ran >> "+filepath.Join(host, "hook.log")+"\n"), 0o755)
	oom, umask := 100, uint32(0o027)
	mutate := func(s *specs.Spec) {
		s.Hostname, s.Domainname = "cinit-host", "cinit.example"
		s.Process.Cwd = "/work/here"
		s.Process.User = specs.User{UID: 65534, GID: 65534, AdditionalGids: []uint32{10, 20}, Umask: &umask}
		s.Process.Env = []string{"PATH=/usr/bin:/bin", "A=b c"}
		s.Process.OOMScoreAdj = &oom
		s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 512}}
		s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_CHOWN")
		s.Process.Capabilities.Permitted = append(s.Process.Capabilities.Permitted, "CAP_CHOWN")
		s.Mounts = append(s.Mounts,
			specs.Mount{Destination: "/data", Type: "bind", Source: host, Options: []string{"rbind", "ro", "nosuid"}},
			specs.Mount{Destination: "/data2", Type: "bind", Source: host, Options: []string{"rbind", "rro", "rprivate"}},
			specs.Mount{Destination: "/etc/host-f", Type: "bind", Source: filepath.Join(host, "f"), Options: []string{"bind"}},
			specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "mode=1770", "noexec"}})
		s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/etc/host-f", "/data2/sub", "/no/such")
		s.Linux.ReadonlyPaths = append(s.Linux.ReadonlyPaths, "/scratch", "/no/such/either")
		s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/extra-null", Type: "c", Major: 1, Minor: 3}}
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"chroot"}, Action: specs.ActErrno}}}
		s.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: hook}}}
	}
	script := `id; grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status; ulimit -n; umask; pwd; echo "$HOME $A"
hostname; cat /proc/sys/kernel/domainname /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj
cat /proc/self/mountinfo | awk '{ print $5, $6, $9 }'; cat /data/f; cat /etc/host-f; ls /data2/sub
touch /data/x 2>&1; chroot / true 2>&1; ls -ln /dev | awk '{ print $1, $3, $4, $5, $6, $NF }'; ls /proc/self/fd; cat /proc/self/cgroup`
	// With a cgroup namespace (fresh cgroup mounts) and without (binds of
	// the container's own cgroups).
	noCgroupNS := func(s *specs.Spec) {
		mutate(s)
		var ns []specs.LinuxNamespace
		for _, n := range s.Linux.Namespaces {
			if n.Type != specs.CgroupNamespace {
				ns = append(ns, n)
			}
		}
		s.Linux.Namespaces = ns
	}
	var outs [2]string
	for _, m := range []func(*specs.Spec){mutate, noCgroupNS} {
		for i, mode := range []string{"0", "1"} {
			e := newRT(t, m)
			e.env = []string{"JINN_RUNTIME_CINIT=" + mode}
			outs[i] = shID.ReplaceAllString(e.sh(script), "ID") // the cgroup paths name the container
		}
		if outs[0] != outs[1] {
			t.Fatalf("the Go init and the C init differ:\n--- Go\n%s\n--- C\n%s", outs[0], outs[1])
		}
	}
	for _, want := range []string{"uid=65534", "cinit-host", "/work/here", "/home b c", "from the host", "Operation not permitted"} {
		if !strings.Contains(outs[1], want) {
			t.Errorf("output lacks %q:\n%s", want, outs[1])
		}
	}
	if b, _ := os.ReadFile(filepath.Join(host, "hook.log")); string(b) != "ran\nran\nran\nran\n" {
		t.Errorf("prestart hook ran %q, want 4 times", b)
	}
}

var shID = regexp.MustCompile(`runtime-sh-[0-9a-f]{8}`)

// The C init is really taken where it covers the config, and the Go init
// where it does not: a created container's init has one thread (no Go
// runtime) only with the C init.
func TestRuntimeCInitChosen(t *testing.T) {
	for _, c := range []struct {
		mode   string
		mutate func(*specs.Spec)
		single bool
	}{
		{"1", nil, true},
		{"0", nil, false},
		{"1", func(s *specs.Spec) { // inside hooks: the Go init's
			s.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true"}}}
		}, false},
		{"1", func(s *specs.Spec) { // a network namespace joined by path, as a pod's containers do
			setNS(s, specs.NetworkNamespace, fmt.Sprintf("/proc/%d/ns/net", os.Getpid()))
		}, true},
	} {
		e := newRT(t, c.mutate)
		e.env = []string{"JINN_RUNTIME_CINIT=" + c.mode}
		id := newID("cinit")
		e.must("create", id)
		pid := e.state(id).Pid
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
		if err != nil {
			t.Fatal(err)
		}
		if single := len(tasks) == 1; single != c.single {
			t.Errorf("JINN_RUNTIME_CINIT=%s: init has %d threads, want the C init: %v", c.mode, len(tasks), c.single)
		}
		if st := e.state(id).Status; st != "created" {
			t.Errorf("status %q, want created", st)
		}
		e.must("start", id)
		e.must("delete", "--force", id)
	}
}

// A bad config fails the same way with either init: one line, the same
// message, nothing left (rtEnv's cleanup checks state and mounts).
func TestRuntimeCInitSameErrors(t *testing.T) {
	for _, c := range []struct {
		want   string
		mutate func(*specs.Spec)
	}{
		{`no-such-program\": executable file not found in $PATH`, func(s *specs.Spec) { s.Process.Args = []string{"no-such-program"} }},
		{`/no/such\": no such file or directory`, func(s *specs.Spec) { s.Process.Args = []string{"/no/such"} }},
		{`only procfs may be mounted on /proc`, func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/proc", Type: "tmpfs", Source: "tmpfs"})
		}},
		{`inside /proc`, func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/proc/sys", Type: "tmpfs", Source: "tmpfs"})
		}},
		{`mount /no/such/dir on /x: stat /no/such/dir: no such file or directory`, func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/no/such/dir", Options: []string{"bind"}})
		}},
		// The first mount: the C init fails in its plan's first part,
		// while the parent makes the cgroups.
		{`mount /no/such/first on /first: stat /no/such/first: no such file or directory`, func(s *specs.Spec) {
			s.Mounts = append([]specs.Mount{{Destination: "/first", Type: "bind", Source: "/no/such/first", Options: []string{"bind"}}}, s.Mounts...)
		}},
		{`invalid sysctl \"a/b.c\"`, func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"a/b.c": "1"} }},
		{`unknown rlimit \"RLIMIT_BOGUS\"`, func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_BOGUS", Soft: 1, Hard: 1}}
		}},
	} {
		for _, mode := range []string{"0", "1"} {
			e := newRT(t, c.mutate)
			e.env = []string{"JINN_RUNTIME_CINIT=" + mode}
			e.fails(c.want, "run", newID("bad"))
		}
	}
}

// exec runs the C init too: the same process, the same view, either way,
// and the same error for a missing program.
func TestRuntimeCInitExecBothWays(t *testing.T) {
	umask := uint32(0o077)
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "100"}
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"chroot"}, Action: specs.ActErrno}}}
	})
	id := newID("exec")
	e.must("run", "-d", id)
	defer e.run("delete", "--force", id)
	proc := specs.Process{Args: []string{"sh", "-c", `id; grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status; ulimit -n; umask; pwd; echo "$HOME"; chroot / true 2>&1; ls /proc/self/fd; cat /proc/self/cgroup`},
		Env: []string{"PATH=/bin"}, Cwd: "/tmp", User: specs.User{UID: 65534, GID: 65534, AdditionalGids: []uint32{7}, Umask: &umask},
		Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 256, Hard: 256}},
		NoNewPrivileges: true, Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}}}
	b, _ := json.Marshal(proc)
	pf := filepath.Join(t.TempDir(), "process.json")
	os.WriteFile(pf, b, 0o644)
	var outs [2]string
	for i, mode := range []string{"0", "1"} {
		e.env = []string{"JINN_RUNTIME_CINIT=" + mode}
		outs[i] = e.must("exec", "--process", pf, id)
		e.fails("executable file not found in $PATH", "exec", id, "no-such-program")
	}
	if outs[0] != outs[1] {
		t.Fatalf("exec: the Go init and the C init differ:\n--- Go\n%s\n--- C\n%s", outs[0], outs[1])
	}
	if !strings.Contains(outs[1], "uid=65534") || !strings.Contains(outs[1], "Operation not permitted") {
		t.Errorf("exec output:\n%s", outs[1])
	}
}

// setNS makes the spec's namespace of type t the one at path (added if
// the spec has none of that type).
func setNS(s *specs.Spec, t specs.LinuxNamespaceType, path string) {
	for i := range s.Linux.Namespaces {
		if s.Linux.Namespaces[i].Type == t {
			s.Linux.Namespaces[i].Path = path
			return
		}
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t, Path: path})
}
