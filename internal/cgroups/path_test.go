package cgroups

import (
	"strings"
	"testing"
)

func TestResolvePath(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string // "" means an error
	}{
		{Config{Name: "abc"}, "jinn/abc"},
		{Config{Name: "abc", Parent: "other"}, "other/abc"},
		{Config{Path: "/jinn/x/y"}, "jinn/x/y"},
		{Config{Path: "x/y"}, "jinn/x/y"},
		{Config{Path: "/kubepods/burstable/pod1/c"}, "kubepods/burstable/pod1/c"},
		{Config{Path: "/machine.slice/x"}, "machine.slice/x"},
		{Config{Path: "test.slice:cri-containerd:abc"}, "jinn/test.slice:cri-containerd:abc"},
		{Config{Path: "test.slice:cri-containerd:abc", Systemd: true}, "test.slice/cri-containerd-abc.scope"},
		{Config{Name: "abc", Systemd: true}, "system.slice/jinn-abc.scope"},
		{Config{Path: "/x/y", Systemd: true}, ""},
		{Config{Path: "/jinn/a/../b"}, ""},
		{Config{Path: "/jinn/../etc"}, ""},
		{Config{Path: "../x"}, ""},
		{Config{Path: "/a\x00b"}, ""},
		{Config{Path: "/"}, ""},
		{Config{Path: "//./"}, ""},
		{Config{Name: ""}, ""},
		{Config{Name: ".."}, ""},
		{Config{Name: "a/b"}, ""},
	} {
		got, err := resolvePath(c.cfg)
		if c.want == "" {
			if err == nil {
				t.Errorf("%+v: got %q, want an error", c.cfg, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%+v: got %q, %v; want %q", c.cfg, got, err, c.want)
		}
	}
}

const hybridMountinfo = `25 30 0:23 / /sys ro,nosuid - sysfs sysfs rw
31 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:27 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu
33 31 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 31 0:30 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
36 31 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
37 31 0:32 / /sys/fs/cgroup/net\040cls rw - cgroup cgroup rw,net_cls
`

func TestParseMountinfo(t *testing.T) {
	mounts, err := parseMountinfo(strings.NewReader(hybridMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	l := LayoutOf(mounts)
	want := map[string]string{"cpu": "/sys/fs/cgroup/cpu", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
		"memory": "/sys/fs/cgroup/memory", "net_cls": "/sys/fs/cgroup/net cls"}
	if len(l.V1) != len(want) {
		t.Errorf("v1 %v", l.V1)
	}
	for c, m := range want {
		if l.V1[c] != m {
			t.Errorf("%s on %q, want %q", c, l.V1[c], m)
		}
	}
	if l.Unified != "/sys/fs/cgroup/unified" {
		t.Errorf("unified %q", l.Unified)
	}
}
