package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// importImage makes image name from the busybox tree plus symlinks
// (name -> target) and the Dockerfile changes given, by `jinn import`.
func (j *jinnEnv) importImage(name string, links map[string]string, changes ...string) {
	j.t.Helper()
	dir := copyRootfs(j.t)
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, l)); err != nil {
			j.t.Fatal(err)
		}
	}
	tar := filepath.Join(j.t.TempDir(), "rootfs.tar")
	if out, err := exec.Command("tar", "-C", dir, "-cf", tar, ".").CombinedOutput(); err != nil {
		j.t.Fatalf("tar: %v %s", err, out)
	}
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "-c", c)
	}
	j.ok(append(args, tar, name)...)
}

// TestSecurityImageVolumes: an image's VOLUME cannot hide the kernel's
// views (/, /proc, /sys, /dev or below), also not through a symlink in
// the image; -v and --mount cannot replace / or /proc; and jinn-runtime,
// like runc, mounts nothing but procfs on /proc.
func TestSecurityImageVolumes(t *testing.T) {
	j := newJinn(t, "jinn-runtime")
	refused := func(what string, args ...string) {
		t.Helper()
		out, errs, code := j.run(args...)
		if code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%s: exit %d, want 125 and one line; stdout %q stderr %q", what, code, out, errs)
		}
		if ps := strings.TrimSpace(j.ok("ps", "-aq")); ps != "" {
			t.Errorf("%s: the refused create left containers: %q", what, ps)
			j.ok("rm", "-f", ps)
		}
		if vols := strings.TrimSpace(j.ok("volume", "ls", "-q")); vols != "" {
			t.Errorf("%s: the refused create left volumes: %q", what, vols)
			j.ok(append([]string{"volume", "rm"}, strings.Fields(vols)...)...)
		}
		j.assertClean(nil)
	}
	for i, vol := range []string{"/proc", "/sys/kernel", "/dev", "/dev/shm/x", "/", "/proc/../sys"} {
		name := "vol-" + string(rune('a'+i))
		j.importImage(name, nil, `VOLUME ["`+vol+`"]`)
		refused("image VOLUME "+vol, "run", "--rm", name, "true")
	}
	j.importImage("links", map[string]string{"data": "/proc", "rel": "dev/shm", "dang": "../sys/new", "hop": "data"},
		"VOLUME /data", "VOLUME /rel", "VOLUME /ok")
	refused("image VOLUME through a symlink to /proc", "run", "--rm", "links", "true")
	for i, vol := range []string{"/rel", "/dang", "/hop/self"} {
		name := "link-" + string(rune('a'+i))
		j.importImage(name, map[string]string{"rel": "dev/shm", "dang": "../sys/new", "hop": "proc"}, "VOLUME "+vol)
		refused("image VOLUME "+vol+" through a symlink", "run", "--rm", name, "true")
	}
	// An ordinary VOLUME still works.
	j.importImage("fine", map[string]string{"data": "/srv"}, "VOLUME /data", "VOLUME /var/lib/x")
	if out := j.ok("run", "--rm", "fine", "sh", "-c", "echo hi > /srv/f && cat /data/f"); strings.TrimSpace(out) != "hi" {
		t.Errorf("VOLUME through an inside symlink: %q", out)
	}
	img := j.image()[0]
	refused("-v x:/", "run", "--rm", "-v", "x:/", img, "true")
	refused("-v x:/proc", "run", "--rm", "-v", "x:/proc", img, "true")
	refused("-v /tmp:/proc/sys", "run", "--rm", "-v", "/tmp:/proc/sys", img, "true")
	refused("--mount dst=/", "run", "--rm", "--mount", "type=bind,src=/tmp,dst=/", img, "true")
	refused("--tmpfs /proc", "run", "--rm", "--tmpfs", "/proc", img, "true")
	refused("-v x:/viaproc (a symlink to /proc in the image)", "run", "--rm", "-v", "x:/hop", "links", "true")
	// lxcfs's files under /proc stay allowed, as with runc and docker.
	j.ok("run", "--rm", "-v", "/proc/uptime:/proc/uptime:ro", img, "cat", "/proc/uptime")

	// The runtime itself, against runc: a tmpfs or bind on /proc, a bind
	// below it, and one reaching /proc through a symlink are refused.
	for _, rt := range []string{"jinn-runtime", "runc"} {
		for what, m := range map[string]specs.Mount{
			"tmpfs on /proc":   {Destination: "/proc", Type: "tmpfs", Source: "tmpfs"},
			"bind on /proc":    {Destination: "/proc", Type: "bind", Source: "/tmp", Options: []string{"rbind"}},
			"bind below /proc": {Destination: "/proc/sys", Type: "bind", Source: "/tmp", Options: []string{"rbind"}},
			"bind via symlink": {Destination: "/viaproc", Type: "bind", Source: "/tmp", Options: []string{"rbind"}},
		} {
			t.Run(rt+"/"+what, func(t *testing.T) {
				e := newRTWith(t, rt, func(s *specs.Spec) { s.Mounts = append(s.Mounts, m) })
				if err := os.Symlink("/proc", filepath.Join(e.rootfs, "viaproc")); err != nil {
					t.Fatal(err)
				}
				if _, stderr, code := e.run("run", newID("procmount")); code == 0 {
					t.Errorf("%s: %s ran", rt, what)
				} else if rt == "jinn-runtime" && !strings.Contains(stderr, "/proc") {
					t.Errorf("%s: %s: %q does not name /proc", rt, what, stderr)
				}
			})
		}
		t.Run(rt+"/lxcfs file", func(t *testing.T) {
			e := newRTWith(t, rt, func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/proc/uptime", Type: "bind", Source: "/proc/uptime", Options: []string{"bind", "ro"}})
			})
			e.must("run", newID("lxcfs"))
		})
	}
}
