package test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// noCgroupDir fails if rel (under jinn/) exists on any hierarchy.
func noCgroupDir(t *testing.T, rel string) {
	t.Helper()
	ents, _ := os.ReadDir("/sys/fs/cgroup")
	for _, e := range ents {
		if p := cgroupPath(e.Name(), rel); exists(p) {
			t.Errorf("cgroup %s left behind", p)
		}
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// The last container of a parent cgroup takes the empty parent with it; a
// create racing with that rmdir still succeeds.
func TestRuntimeCgroupParentRemoved(t *testing.T) {
	needCgroupV1(t, "pids")
	parent := newID("cgparent")
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	ids := []string{newID("cga"), newID("cgb")}
	for _, id := range ids {
		e.edit(func(s *specs.Spec) { s.Linux.CgroupsPath = parent + "/" + id })
		e.must("create", id)
	}
	e.must("delete", "--force", ids[0])
	if !exists(cgroupPath("pids", parent, ids[1])) {
		t.Fatal("the other container's cgroup went with the first")
	}
	e.must("delete", "--force", ids[1])
	noCgroupDir(t, parent)

	// create and delete at once in one parent (20 bundles over one
	// rootfs): every create succeeds though deletes rmdir the parent.
	base, _ := os.ReadFile(filepath.Join(e.bundle, "config.json"))
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := 0; i < 20; i++ {
		id := newID("cgrace")
		var s specs.Spec
		json.Unmarshal(base, &s)
		s.Root.Path = e.rootfs
		s.Linux.CgroupsPath = parent + "/" + id
		b := filepath.Join(t.TempDir(), "bundle")
		os.Mkdir(b, 0o755)
		cfg, _ := json.Marshal(&s)
		os.WriteFile(filepath.Join(b, "config.json"), cfg, 0o644)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, stderr, code := e.run("run", "-d", "--bundle", b, id); code != 0 {
				errs <- "run: " + stderr
				return
			}
			if _, stderr, code := e.run("delete", "--force", id); code != 0 {
				errs <- "delete: " + stderr
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	noCgroupDir(t, parent)
}

// A process in only one of the container's v1 cgroups (as one that a
// killed create had moved in part way) does not stop delete.
func TestRuntimeDeleteKillsPartlyJoined(t *testing.T) {
	needCgroupV1(t, "pids", "blkio")
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	id := newID("partly")
	e.must("create", id)
	stray := exec.Command("sleep", "100")
	if err := stray.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stray.Process.Kill(); stray.Wait() }()
	procs := cgroupPath("blkio", id, "cgroup.procs")
	if err := os.WriteFile(procs, []byte(strconv.Itoa(stray.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.must("delete", "--force", id)
	noCgroup(t, id)
}

// --cgroup-parent puts a container's cgroup under another parent, and the
// container keeps it: later commands, given another parent (here the
// suite's, from $JINN_CGROUP_PARENT), still find and remove its cgroup.
// A parent that climbs out or is the root is refused, by jinn too.
func TestRuntimeCgroupParentFlag(t *testing.T) {
	needCgroupV1(t, "pids")
	sub := newID("flagparent")
	parent := suite.cgroupParent + "/" + sub
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "100"} })
	id := newID("flag")
	e.must("--cgroup-parent", parent, "create", id)
	if !exists(cgroupPath("pids", sub, id)) {
		t.Fatalf("no cgroup %s", cgroupPath("pids", sub, id))
	}
	pid := strconv.Itoa(e.state(id).Pid)
	if cg, _ := os.ReadFile("/proc/" + pid + "/cgroup"); !strings.Contains(string(cg), ":pids:/"+parent+"/"+id+"\n") {
		t.Errorf("init's cgroups: %s", cg)
	}
	e.must("delete", "--force", id)
	noCgroupDir(t, sub) // the container's, and its empty parent
	for _, p := range suiteCgroups() {
		os.Remove(p) // above the parent: the runtime leaves it, the test made it
	}
	for _, bad := range []string{"../escape", "/", "a/../../b"} {
		if _, stderr, code := e.run("--cgroup-parent", bad, "create", newID("bad")); code == 0 || !strings.Contains(stderr, "cgroup parent") {
			t.Errorf("jinn-runtime --cgroup-parent %q: exit %d: %s", bad, code, stderr)
		}
	}
	j := newJinn(t, "")
	if _, stderr, code := j.run("--cgroup-parent", "../x", "ps"); code != 125 || !strings.Contains(stderr, "cgroup parent") {
		t.Errorf("jinn --cgroup-parent ../x: exit %d: %s", code, stderr)
	}
}
