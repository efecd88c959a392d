package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// More of the runtime-spec's MUSTs (v1.3 config.md, config-linux.md,
// runtime.md) that nothing else tests, each run against runc first to
// prove the test right. The clause is quoted beside each case.
func TestRuntimeSpecMusts(t *testing.T) {
	for _, rt := range []string{"runc", "jinn-runtime"} {
		t.Run(rt, func(t *testing.T) {
			e := newRTWith(t, rt, nil)
			base, _ := os.ReadFile(filepath.Join(e.bundle, "config.json"))
			reset := func() { os.WriteFile(filepath.Join(e.bundle, "config.json"), base, 0o644) }
			bad := func(what string, f func(*specs.Spec)) {
				t.Helper()
				reset()
				e.edit(f)
				id := newID("must")
				if _, _, code := e.run("run", id); code == 0 {
					t.Errorf("%s: run succeeded, want an error", what)
				}
				e.run("delete", "--force", id)
			}

			// config-linux.md, Namespaces: "The runtime MUST generate an
			// error if path is not associated with a namespace of type
			// type."
			bad("network namespace path naming an ipc namespace", func(s *specs.Spec) {
				for i, n := range s.Linux.Namespaces {
					if n.Type == specs.NetworkNamespace {
						s.Linux.Namespaces[i].Path = "/proc/self/ns/ipc"
					}
				}
			})
			// "If a namespaces field contains duplicated namespaces with
			// same type, the runtime MUST generate an error."
			bad("duplicated namespace", func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.IPCNamespace})
			})
			// config.md, POSIX process: "If rlimits contains duplicated
			// entries with same type, the runtime MUST generate an error."
			bad("duplicated rlimit", func(s *specs.Spec) {
				s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 100, Soft: 100}, {Type: "RLIMIT_NOFILE", Hard: 200, Soft: 200}}
			})
			// "The runtime MUST generate an error for any values which
			// cannot be mapped to a relevant kernel interface."
			bad("unknown rlimit", func(s *specs.Spec) {
				s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOSUCH", Hard: 1, Soft: 1}}
			})
			// config-linux.md, Devices: "If a file already exists at path
			// that does not match the requested device, the runtime MUST
			// generate an error." (Debian's runc 1.1 replaces the file,
			// so this case is jinn's only.)
			os.MkdirAll(filepath.Join(e.rootfs, "devx"), 0o755)
			os.WriteFile(filepath.Join(e.rootfs, "devx/null2"), []byte("not a device"), 0o644)
			if rt == "jinn-runtime" {
				bad("device path holding a regular file", func(s *specs.Spec) {
					maj, min := int64(1), int64(3)
					s.Mounts = dropMount(s.Mounts, "/dev")
					s.Linux.Devices = []specs.LinuxDevice{{Path: "/devx/null2", Type: "c", Major: maj, Minor: min}}
				})
			}

			// config-linux.md, Devices: "In addition to any devices
			// configured with this setting, the runtime MUST also supply"
			// /dev/null, zero, full, random, urandom, tty, and /dev/ptmx
			// (a symlink to /dev/pts/ptmx), and the /dev/fd, stdin,
			// stdout, stderr links (Default Filesystems).
			reset()
			out := e.sh(`for d in null zero full random urandom tty; do [ -c /dev/$d ] && echo ok $d; done
				[ "$(readlink /dev/ptmx)" = pts/ptmx ] && echo ok ptmx
				for l in fd stdin stdout stderr; do [ -L /dev/$l ] && echo ok $l; done`)
			for _, d := range []string{"null", "zero", "full", "random", "urandom", "tty", "ptmx", "fd", "stdin", "stdout", "stderr"} {
				if !strings.Contains(out, "ok "+d+"\n") {
					t.Errorf("/dev/%s missing or wrong:\n%s", d, out)
				}
			}

			// config.md, Mounts: destination "MAY be a relative path, in
			// which case it MUST be interpreted as relative to "/"".
			reset()
			e.edit(func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "relmnt", Type: "tmpfs", Source: "tmpfs"})
			})
			if out := e.sh(`awk '$5 == "/relmnt" {print $9}' /proc/self/mountinfo`); strings.TrimSpace(out) != "tmpfs" {
				t.Errorf("relative destination relmnt: /relmnt is %q, want a tmpfs", out)
			}

			// config.md, Root: "readonly ... If true then the root
			// filesystem MUST be read-only inside the container".
			reset()
			e.edit(func(s *specs.Spec) { s.Root.Readonly = true })
			if out := e.sh(`touch /probe 2>/dev/null && echo writable || echo readonly`); !strings.Contains(out, "readonly") {
				t.Errorf("readonly root is writable")
			}

			// config.md, POSIX process: "If oomScoreAdj is not set, the
			// runtime MUST NOT change the value of oom_score_adj": the
			// container's is the caller's.
			reset()
			want, _ := os.ReadFile("/proc/self/oom_score_adj")
			if out := e.sh(`cat /proc/self/oom_score_adj`); strings.TrimSpace(out) != strings.TrimSpace(string(want)) {
				t.Errorf("oom_score_adj %q without oomScoreAdj, want the caller's %q", out, want)
			}
			// "Runtimes MUST ignore consoleSize if terminal is false or
			// unset."
			e.edit(func(s *specs.Spec) { s.Process.ConsoleSize = &specs.Box{Height: 10, Width: 10} })
			e.sh("true")

			// runtime.md, Start: "Attempting to start an already started
			// container MUST have no effect on the container and MUST
			// generate an error." Kill: "Attempting to send a signal to a
			// container that is not running MUST have no effect on the
			// container and MUST generate an error." Delete: "Attempting
			// to delete a container whose process is still running MUST
			// generate an error."
			reset()
			e.edit(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
			id := newID("must")
			e.must("run", "-d", id)
			pid := e.state(id).Pid
			if _, _, code := e.run("start", id); code == 0 {
				t.Error("start of a running container succeeded")
			}
			if _, _, code := e.run("delete", id); code == 0 {
				t.Error("delete of a running container succeeded")
			}
			if st := e.state(id); st.Status != specs.StateRunning || st.Pid != pid {
				t.Errorf("after a refused start and delete: %s pid %d, want running pid %d", st.Status, st.Pid, pid)
			}
			e.must("kill", id, "KILL")
			waitStatus(t, e, id, specs.StateStopped)
			if _, _, code := e.run("kill", id, "TERM"); code == 0 {
				t.Error("kill of a stopped container succeeded")
			}
			e.must("delete", id)
			// Query State: "Attempting to query a container that does not
			// exist MUST generate an error."; Delete likewise.
			if _, _, code := e.run("state", id); code == 0 {
				t.Error("state of a deleted container succeeded")
			}
			if _, _, code := e.run("delete", id); code == 0 {
				t.Error("delete of a deleted container succeeded")
			}
		})
	}
}

func dropMount(ms []specs.Mount, dest string) []specs.Mount {
	var out []specs.Mount
	for _, m := range ms {
		if m.Destination != dest && !strings.HasPrefix(m.Destination, dest+"/") {
			out = append(out, m)
		}
	}
	return out
}
