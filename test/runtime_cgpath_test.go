package test

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cgroupMounts lists every cgroup and cgroup2 mount point, named
// hierarchies (name=systemd) included.
func cgroupMounts(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if !ok || len(pf) < 5 || len(qf) < 1 || (qf[0] != "cgroup" && qf[0] != "cgroup2") || seen[pf[4]] {
			continue
		}
		seen[pf[4]] = true
		out = append(out, pf[4])
	}
	return out
}

// testCgroupTop is a top-level cgroup name of the test's own; Cleanup
// removes whatever is left under it on every hierarchy, and nothing else.
func testCgroupTop(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	top := "jinn-test-" + hex.EncodeToString(b)
	mounts := cgroupMounts(t)
	t.Cleanup(func() {
		for _, m := range mounts {
			var dirs []string
			filepath.WalkDir(filepath.Join(m, top), func(p string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					dirs = append(dirs, p)
				}
				return nil
			})
			sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
			for _, d := range dirs {
				os.Remove(d)
			}
		}
	})
	return top
}

// procCgroupPaths is /proc/pid/cgroup: hierarchy (its controllers, or
// name=systemd, or "" for cgroup2) to path.
func procCgroupPaths(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) == 3 {
			out[f[1]] = f[2]
		}
	}
	return out
}

// config-linux.md, Control groups: "In the case of an absolute path (starting
// with /), the runtime MUST take the path to be relative to the cgroups mount
// point." kubelet's cgroupfs driver (and containerd's cgroup_parent, issue
// 16 point 9) hands /kubepods/pod<uid>/<id>: the container must be there on
// every hierarchy, name=systemd included, as under runc. "If the value is
// specified, the runtime MUST consistently attach to the same place in the
// cgroups hierarchy given the same value of cgroupsPath." Missing parents
// are made (a v1 cpuset one gets its parent's cpus and mems); delete removes
// the container's cgroup and the parents jinn made, never one it did not.
func TestRuntimeCgroupsPathAbsolute(t *testing.T) {
	needCgroupV1(t, "pids")
	for _, rt := range []string{"runc", "jinn-runtime"} {
		t.Run(rt, func(t *testing.T) {
			top := testCgroupTop(t)
			e := newRTWith(t, rt, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
			id := newID("cgabs")
			want := "/" + top + "/kubepods/podtest/" + id
			e.edit(func(s *specs.Spec) { s.Linux.CgroupsPath = want })
			e.must("create", id)
			pid := e.state(id).Pid
			for h, p := range procCgroupPaths(t, pid) {
				if p != want {
					t.Errorf("hierarchy %q: init in %s, want %s", h, p, want)
				}
			}
			if got := procCgroupPaths(t, pid)["name=systemd"]; exists("/sys/fs/cgroup/systemd") && got != want {
				t.Errorf("name=systemd: init in %q, want %s", got, want)
			}
			if exists("/sys/fs/cgroup/cpuset/cgroup.procs") {
				b, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup/cpuset", top, "kubepods/cpuset.cpus"))
				if strings.TrimSpace(string(b)) == "" {
					t.Errorf("made cpuset parent has no cpus")
				}
			}
			e.must("delete", "--force", id)
			for _, m := range cgroupMounts(t) {
				if exists(filepath.Join(m, want)) {
					t.Errorf("%s left behind", filepath.Join(m, want))
				}
				// runc leaves the parents it made; jinn removes them.
				if rt == "jinn-runtime" && exists(filepath.Join(m, top)) {
					t.Errorf("parent %s that jinn made left behind", filepath.Join(m, top))
				}
			}

			// A parent someone else made (kubelet's pod cgroup) stays.
			for _, m := range cgroupMounts(t) {
				if err := os.MkdirAll(filepath.Join(m, top, "pod"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if exists("/sys/fs/cgroup/cpuset/cgroup.procs") {
				for _, d := range []string{top, top + "/pod"} {
					for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
						b, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup/cpuset", f))
						os.WriteFile(filepath.Join("/sys/fs/cgroup/cpuset", d, f), b, 0o644)
					}
				}
			}
			id2 := newID("cgabs")
			e.edit(func(s *specs.Spec) { s.Linux.CgroupsPath = "/" + top + "/pod/" + id2 })
			e.must("run", "-d", id2)
			e.must("delete", "--force", id2)
			for _, m := range cgroupMounts(t) {
				if exists(filepath.Join(m, top, "pod", id2)) {
					t.Errorf("%s left behind", filepath.Join(m, top, "pod", id2))
				}
				if !exists(filepath.Join(m, top, "pod")) {
					t.Errorf("%s, which the runtime did not make, was removed", filepath.Join(m, top, "pod"))
				}
			}
		})
	}
}

// containerd 1.6's CRI hands linux.cgroupsPath "slice:prefix:name" even
// without the systemd cgroup driver (issue 16 point 6); runc's cgroupfs mode
// takes it as a plain relative path, and so does jinn: under its parent
// (--cgroup-parent, the suite's own here).
// Paths with ".." or NUL stay refused.
func TestRuntimeCgroupsPathSliceWithoutSystemd(t *testing.T) {
	needCgroupV1(t, "pids")
	for _, rt := range []string{"runc", "jinn-runtime"} {
		t.Run(rt, func(t *testing.T) {
			e := newRTWith(t, rt, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
			id := newID("cgslice")
			rel := "test.slice:cri-containerd:" + id
			e.edit(func(s *specs.Spec) { s.Linux.CgroupsPath = rel })
			e.must("create", id)
			got := procCgroupPaths(t, e.state(id).Pid)["pids"]
			if !strings.HasSuffix(got, "/"+rel) {
				t.Errorf("init in pids cgroup %s, want one ending in /%s", got, rel)
			}
			if want := "/" + suite.cgroupParent + "/" + rel; rt == "jinn-runtime" && got != want {
				t.Errorf("init in %s, want %s (under jinn-runtime's parent)", got, want)
			}
			e.must("delete", "--force", id)
			if rt == "jinn-runtime" {
				noCgroup(t, rel)
				e.edit(func(s *specs.Spec) { s.Linux.CgroupsPath = "/jinn/../" + id })
				e.fails(`is not allowed`, "create", newID("cgdots"))
			}
		})
	}
}

// --systemd-cgroup takes "slice:prefix:name" to systemd's transient units;
// where systemd is not the init system (this machine) create says so in
// one line and leaves nothing behind.
func TestRuntimeSystemdCgroupWithoutSystemd(t *testing.T) {
	if exists("/run/systemd/system") {
		t.Skip("systemd is the init system here")
	}
	e := newRT(t, nil)
	e.flags = []string{"--systemd-cgroup"}
	e.edit(func(s *specs.Spec) { s.Linux.CgroupsPath = "system.slice:jinn:abc" })
	e.fails("systemd is not the init system", "create", newID("sd"))
	e.edit(func(s *specs.Spec) { s.Linux.CgroupsPath = "/not/a/slice" })
	e.fails(`slice:prefix:name`, "create", newID("sd"))
	e.must("list")
}
