package test

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// config.md, Mounts: "Runtimes MUST/SHOULD/MAY implement the following
// option strings for Linux", and every MUST option, given to a mount,
// works: each on a tmpfs (the propagation ones on a bind), and the flags
// that show in mountinfo's per-mount options show there. Checked against
// runc first (Debian's runc 1.1 passes "defaults" to the kernel as data
// and fails, so runc is spared that one).
func TestRuntimeMountOptionsMust(t *testing.T) {
	must := []string{"async", "atime", "defaults", "dev", "diratime", "dirsync", "exec", "iversion",
		"lazytime", "loud", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime",
		"norelatime", "nostrictatime", "nosuid", "relatime", "ro", "rw", "silent", "strictatime", "suid", "sync"}
	prop := []string{"private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"}
	show := map[string]string{"ro": "ro", "nosuid": "nosuid", "nodev": "nodev", "noexec": "noexec",
		"noatime": "noatime", "nodiratime": "nodiratime", "strictatime": ""}
	for _, rt := range []string{"runc", "jinn-runtime"} {
		t.Run(rt, func(t *testing.T) {
			// A source of the test's own, with no mounts below it: an rbind
			// of a shared /tmp would copy whatever else is mounted there
			// (other users' stores), and its propagation can exhaust the
			// kernel's mount limit (ENOSPC).
			src := t.TempDir()
			e := newRTWith(t, rt, func(s *specs.Spec) {
				for i, o := range must {
					if rt == "runc" && o == "defaults" {
						o = "rw"
					}
					s.Mounts = append(s.Mounts, specs.Mount{Destination: "/m/" + optName(i), Type: "tmpfs", Source: "tmpfs", Options: []string{o}})
				}
				for i, o := range prop {
					s.Mounts = append(s.Mounts, specs.Mount{Destination: "/p/" + optName(i), Type: "bind", Source: src, Options: []string{"rbind", o}})
				}
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/b", Type: "bind", Source: src, Options: []string{"bind", "ro"}})
			})
			out := e.sh(`awk '{print $5, $6}' /proc/self/mountinfo`)
			opts := map[string]string{}
			for _, l := range strings.Split(out, "\n") {
				if f := strings.Fields(l); len(f) == 2 {
					opts[f[0]] = "," + f[1] + ","
				}
			}
			for i, o := range must {
				got, ok := opts["/m/"+optName(i)]
				if !ok {
					t.Errorf("option %s: no mount at /m/%d", o, i)
					continue
				}
				if w := show[o]; w != "" && !strings.Contains(got, ","+w+",") {
					t.Errorf("option %s: mount options %s", o, got)
				}
			}
			if !strings.Contains(opts["/b"], ",ro,") {
				t.Errorf("bind,ro: mount options %q", opts["/b"])
			}
		})
	}
}

func optName(i int) string {
	return string(rune('a'+i/26)) + string(rune('a'+i%26))
}
