package runtime

import (
	"encoding/binary"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func cinitSpec() *specs.Spec {
	return &specs.Spec{Process: &specs.Process{Args: []string{"/bin/true"}}, Linux: &specs.Linux{
		Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}, {Type: specs.CgroupNamespace}}}}
}

// What the C init covers, and what goes to the Go init: the one place
// (cinitCovers) decides.
func TestCInitCovers(t *testing.T) {
	t.Setenv(CInitEnv, "")
	for _, c := range []struct {
		name   string
		mutate func(*specs.Spec, *CreateOpts)
		want   bool
	}{
		{"plain", nil, true},
		{"terminal", func(s *specs.Spec, _ *CreateOpts) { s.Process.Terminal = true }, true},
		{"joined network namespace", func(s *specs.Spec, _ *CreateOpts) {
			setNS(s, specs.NetworkNamespace, "/proc/1/ns/net")
		}, true},
		{"cgroup namespace by path", func(s *specs.Spec, _ *CreateOpts) {
			setNS(s, specs.CgroupNamespace, "/proc/1/ns/cgroup")
		}, false},
		{"no mount namespace", func(s *specs.Spec, _ *CreateOpts) { s.Linux.Namespaces = s.Linux.Namespaces[:1] }, false},
		{"mount namespace by path", func(s *specs.Spec, _ *CreateOpts) { s.Linux.Namespaces[1].Path = "/proc/1/ns/mnt" }, false},
		{"user namespace", func(s *specs.Spec, _ *CreateOpts) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		}, false},
		{"time namespace", func(s *specs.Spec, _ *CreateOpts) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
		}, false},
		{"createContainer hook", func(s *specs.Spec, _ *CreateOpts) {
			s.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/x"}}}
		}, false},
		{"prestart hook", func(s *specs.Spec, _ *CreateOpts) { s.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/x"}}} }, true},
		{"personality", func(s *specs.Spec, _ *CreateOpts) {
			s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux}
		}, false},
		{"seccomp notify", func(s *specs.Spec, _ *CreateOpts) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/x",
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}}
		}, false},
		{"idmapped mount", func(s *specs.Spec, _ *CreateOpts) {
			s.Mounts = []specs.Mount{{Destination: "/x", Type: "bind", Source: "/tmp", Options: []string{"rbind", "idmap"}}}
		}, false},
		{"too many groups", func(s *specs.Spec, _ *CreateOpts) { s.Process.User.AdditionalGids = make([]uint32, 300) }, false},
	} {
		s, o := cinitSpec(), &CreateOpts{}
		if c.mutate != nil {
			c.mutate(s, o)
		}
		if got := cinitCovers(s, false); got != c.want {
			t.Errorf("%s: cinitCovers = %v, want %v", c.name, got, c.want)
		}
	}
	s := cinitSpec()
	t.Setenv(CInitEnv, "0")
	if cinitCovers(s, false) {
		t.Errorf("%s=0: the C init chosen", CInitEnv)
	}
}

// The plan comes in two parts: the first runs while the parent makes the
// cgroups, the second starts by joining them; with limitsLate a third
// holds the process.
func TestCInitPlanParts(t *testing.T) {
	s := cinitSpec()
	s.Root = &specs.Root{Path: "rootfs"}
	s.Mounts = []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro"}}}
	cfg := &initConfig{Rootfs: "/nonexistent/rootfs", Bundle: "/nonexistent", FifoFd: -1,
		CgroupTasks: []string{"/sys/fs/cgroup/pids/x/tasks"}}
	parts, err := cinitPlan(s, cfg, "id", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2", len(parts))
	}
	for i, p := range parts {
		if n := binary.LittleEndian.Uint32(p); int(n) != len(p)-4 {
			t.Errorf("part %d: length %d, body %d", i, n, len(p)-4)
		}
	}
	if !containsBytes(parts[1], "/sys/fs/cgroup/pids/x/tasks") || containsBytes(parts[0], "tasks") {
		t.Errorf("the cgroup join is not at the start of the second part")
	}
	// limitsLate: the devices and what follows wait for a third part;
	// without a cgroup mount the join comes after the devices: two parts.
	three, err := cinitPlan(s, cfg, "id", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(three) != 3 || len(three[0]) != len(parts[0]) || !containsBytes(three[1], "tasks") ||
		containsBytes(three[1], "/dev/null") || !containsBytes(three[2], "/dev/null") || !containsBytes(three[2], "/bin/true") {
		t.Errorf("limitsLate: %d parts, or the devices not in the last", len(three))
	}
	noCg := *s
	noCg.Mounts = s.Mounts[:1]
	if two, err := cinitPlan(&noCg, cfg, "id", nil, true); err != nil || len(two) != 2 {
		t.Errorf("limitsLate without a cgroup mount: %d parts, %v", len(two), err)
	}
	cfg.CgroupTasks = []string{taskFdPrefix + "5"}
	if _, err := cinitPlan(s, cfg, "id", nil, false); err == nil {
		t.Errorf("tasks by fd planned")
	}
	s.Linux.Sysctl = map[string]string{"a/b.c": "1"}
	cfg.CgroupTasks = nil
	if _, err := cinitPlan(s, cfg, "id", nil, false); err == nil || err.Error() != `invalid sysctl "a/b.c"` {
		t.Errorf("bad sysctl: %v", err)
	}
}

func containsBytes(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return true
		}
	}
	return false
}

func setNS(s *specs.Spec, t specs.LinuxNamespaceType, path string) {
	for i := range s.Linux.Namespaces {
		if s.Linux.Namespaces[i].Type == t {
			s.Linux.Namespaces[i].Path = path
			return
		}
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t, Path: path})
}

// The seccomp program the spec's check compiled goes into the C init's
// plan as it is: the same plan as compiling it again, and only for the
// profile it was compiled from.
func TestCInitPlanCompiledSeccomp(t *testing.T) {
	s := cinitSpec()
	s.Root = &specs.Root{Path: "rootfs"}
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86_64},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir", "chmod"}, Action: specs.ActErrno}}}
	sc, err := validateConfinement(s, "")
	if err != nil || sc == nil {
		t.Fatalf("validate: %v %v", sc, err)
	}
	if sc.of(&specs.LinuxSeccomp{}) != nil || sc.of(nil) != nil || (*compiledSeccomp)(nil).of(s.Linux.Seccomp) != nil {
		t.Errorf("a program for another profile")
	}
	cfg := &initConfig{Rootfs: "/nonexistent/rootfs", Bundle: "/nonexistent", FifoFd: -1}
	if _, err := cinitPlan(s, cfg, "id", sc.of(s.Linux.Seccomp), false); err != nil {
		t.Fatal(err)
	}
	reused, err := cinitProcess(s, cfg, sc.of(s.Linux.Seccomp))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := cinitProcess(s, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh.Seccomp) == 0 || !reflect.DeepEqual(reused, fresh) {
		t.Errorf("the process with the checked program differs from one compiled again")
	}
}
