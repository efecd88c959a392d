package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRuntimeRootfs(t *testing.T) {
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "hello"), []byte("from host"), 0o644)
	hostFile := filepath.Join(t.TempDir(), "file")
	os.WriteFile(hostFile, []byte("one file"), 0o644)
	mode := os.FileMode(0o640)
	uid, gid := uint32(7), uint32(8)
	e := newRT(t, func(s *specs.Spec) {
		s.Mounts = append(s.Mounts,
			specs.Mount{Destination: "/data/ro", Type: "bind", Source: host, Options: []string{"rbind", "ro", "rprivate"}},
			specs.Mount{Destination: "/data/rw", Type: "none", Source: host, Options: []string{"bind", "nosuid"}},
			specs.Mount{Destination: "/etc/hostfile", Type: "bind", Source: hostFile, Options: []string{"bind", "ro"}},
			specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "mode=700", "noexec"}},
		)
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/mynull", Type: "c", Major: 1, Minor: 3, FileMode: &mode, UID: &uid, GID: &gid}}
		s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1", "kernel.msgmax": "4096"}
		s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/etc/secret")
		s.Linux.ReadonlyPaths = append(s.Linux.ReadonlyPaths, "/data/rw")
	})
	os.WriteFile(filepath.Join(e.rootfs, "etc", "secret"), []byte("hidden"), 0o644)
	out := e.sh(`cat /data/ro/hello; echo; cat /etc/hostfile; echo;
		touch /data/ro/x 2>/dev/null || echo ro-ok; touch /data/rw/x 2>/dev/null || echo readonlypath-ok;
		touch /newfile 2>/dev/null || echo rootro-ok;
		grep -E ' /scratch ' /proc/self/mountinfo | grep -q noexec && echo scratch-noexec;
		ls -ln /dev/mynull; for d in null zero full random urandom tty; do [ -c /dev/$d ] && echo -n "$d "; done; echo;
		readlink /dev/ptmx; readlink /dev/fd; ls -d /dev/pts /dev/shm /dev/mqueue;
		cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax;
		echo 1 > /proc/sys/kernel/msgmax 2>/dev/null || echo procsys-ro;
		cat /etc/secret | wc -c; ls /sys/firmware | wc -l; cat /proc/keys | wc -c`)
	for _, want := range []string{"from host", "one file", "ro-ok", "readonlypath-ok", "rootro-ok",
		"scratch-noexec", "crw-r-----    1 7        8 ", "null zero full random urandom tty",
		"pts/ptmx\n/proc/self/fd", "/dev/mqueue\n/dev/pts\n/dev/shm", "1\n4096\nprocsys-ro", "0\n0\n0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// Propagation: rootfsPropagation applies to the container's root.
	e.edit(func(s *specs.Spec) { s.Linux.RootfsPropagation = "rshared" })
	if out := e.sh("awk '$5 == \"/\"' /proc/self/mountinfo"); !strings.Contains(out, "shared:") {
		t.Errorf("rootfsPropagation rshared: %s", out)
	}
}

// A symlink in the image must not send a mount outside the rootfs.
func TestRuntimeMountSymlinkStaysInside(t *testing.T) {
	outside := t.TempDir()
	e := newRT(t, func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/evil/sub", Type: "tmpfs", Source: "tmpfs"})
		s.Root.Readonly = false
	})
	os.Symlink(outside, filepath.Join(e.rootfs, "evil"))
	e.sh("true")
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("mount escaped the rootfs into %s: %v", outside, ents)
	}
	if _, err := os.Stat(filepath.Join(e.rootfs, outside, "sub")); err != nil {
		t.Fatalf("mount target not made inside the rootfs: %v", err)
	}
}

func TestRuntimeProcess(t *testing.T) {
	umask := uint32(0o077)
	oom := 500
	e := newRT(t, func(s *specs.Spec) {
		s.Root.Readonly = false
		s.Process.User = specs.User{UID: 1000, GID: 1001, AdditionalGids: []uint32{5, 6}, Umask: &umask}
		s.Process.Cwd = "/work/dir"
		s.Process.Env = append(s.Process.Env, "FOO=bar baz")
		s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 512, Soft: 256}, {Type: "RLIMIT_CORE", Hard: 0, Soft: 0}}
		s.Process.OOMScoreAdj = &oom
		s.Process.NoNewPrivileges = true
	})
	out := e.sh(`id; pwd; echo "$FOO"; ulimit -n; ulimit -Hn; umask; cat /proc/self/oom_score_adj; grep NoNewPrivs /proc/self/status; echo home=$HOME`)
	for _, want := range []string{"uid=1000 gid=1001 groups=5,6", "/work/dir\n", "bar baz\n", "256\n512\n", "0077\n", "500\n", "NoNewPrivs:\t1", "home=/"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}
