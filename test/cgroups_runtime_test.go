package test

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// End-to-end tests of resource control through bin/jinn-runtime on this
// host's cgroups (v1 controllers, cgroup2 at /sys/fs/cgroup/unified).

func cgID(what string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return "cgroups-" + what + "-" + hex.EncodeToString(b)
}

// cgFile reads a file of container id's cgroup on a v1 hierarchy.
func cgFile(t *testing.T, ctrl, id, file string) string {
	t.Helper()
	b, err := os.ReadFile(cgroupPath(ctrl, id, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func needCgroupV1(t *testing.T, ctrls ...string) {
	t.Helper()
	for _, c := range ctrls {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", c, "cgroup.procs")); err != nil {
			t.Skipf("no v1 %s hierarchy", c)
		}
	}
}

// noCgroup fails if container id's cgroup is on any hierarchy.
func noCgroup(t *testing.T, id string) {
	t.Helper()
	ents, _ := os.ReadDir("/sys/fs/cgroup")
	for _, e := range ents {
		p := cgroupPath(e.Name(), id)
		if _, err := os.Stat(p); err == nil {
			t.Errorf("cgroup %s left behind", p)
		}
	}
}

func sleeper(s *specs.Spec) {
	s.Process.Args = []string{"sleep", "1000"}
}

func TestCgroupsOOMEvent(t *testing.T) {
	needCgroupV1(t, "memory")
	limit := int64(32 << 20)
	e := newRT(t, func(s *specs.Spec) {
		// tail buffers a line that never ends: it grows until killed.
		s.Process.Args = []string{"sh", "-c", "sleep 0.3; exec tail /dev/zero"}
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
	})
	id := cgID("oom")
	e.must("create", id)
	defer func() { e.run("delete", "--force", id); noCgroup(t, id) }()
	if got := cgFile(t, "memory", id, "memory.limit_in_bytes"); got != strconv.FormatInt(limit, 10) {
		t.Fatalf("memory.limit_in_bytes %s", got)
	}
	ev := e.cmd("events", "--interval", "10s", id)
	out, err := ev.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	defer ev.Process.Kill()
	time.Sleep(100 * time.Millisecond) // let events register its eventfd
	e.must("start", id)
	var types []string
	sc := bufio.NewScanner(out)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sc.Scan() {
			var m struct{ Type, ID string }
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.ID == id {
				types = append(types, m.Type)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("events did not end with the container")
	}
	if err := ev.Wait(); err != nil {
		t.Errorf("jinn-runtime events did not survive the OOM: %v", err)
	}
	if strings.Join(types, ",") != "oom,exit" {
		t.Errorf("events %v, want oom then exit", types)
	}
	if s := e.state(id); s.Status != specs.StateStopped {
		t.Errorf("status %s after OOM", s.Status)
	}
	if oc := cgFile(t, "memory", id, "memory.oom_control"); !strings.Contains(oc, "oom_kill 1") {
		t.Errorf("memory.oom_control: %q", oc)
	}
}

func TestCgroupsUpdate(t *testing.T) {
	needCgroupV1(t, "memory", "cpu", "pids")
	e := newRT(t, sleeper)
	id := cgID("update")
	e.must("run", "-d", id)
	e.must("update", "--memory", "64m", "--memory-swap", "128m", "--cpu-quota", "20000", "--cpu-period", "100000",
		"--cpu-shares", "512", "--pids-limit", "50", "--cpuset-cpus", "0", id)
	for _, c := range []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", strconv.Itoa(64 << 20)},
		{"memory", "memory.memsw.limit_in_bytes", strconv.Itoa(128 << 20)},
		{"cpu", "cpu.cfs_quota_us", "20000"},
		{"cpu", "cpu.shares", "512"},
		{"pids", "pids.max", "50"},
		{"cpuset", "cpuset.cpus", "0"},
	} {
		if got := cgFile(t, c.ctrl, id, c.file); got != c.want {
			t.Errorf("%s %s, want %s", c.file, got, c.want)
		}
	}
	res := filepath.Join(t.TempDir(), "r.json")
	os.WriteFile(res, []byte(`{"memory":{"limit":100663296,"swap":100663296},"pids":{"limit":60}}`), 0o644)
	e.must("update", "-r", res, id)
	if got := cgFile(t, "memory", id, "memory.limit_in_bytes"); got != "100663296" {
		t.Errorf("after -r: memory.limit_in_bytes %s", got)
	}
	// Bad input: one line naming the field, nothing changed.
	e.fails("memory.limit", "update", "--pids-limit", "70", "--memory", "100", id)
	e.fails("cpu.shares", "update", "--cpu-shares", "1", id)
	e.fails("memory.swap", "update", "--memory", "200m", id)
	e.fails("--memory", "update", "--memory", "lots", id)
	if got := cgFile(t, "pids", id, "pids.max"); got != "60" {
		t.Errorf("pids.max %s after refused updates, want 60", got)
	}
	// Stats as runc prints them.
	var ev struct {
		Type string
		Data struct {
			Memory struct{ Usage struct{ Limit uint64 } }
			Pids   struct{ Current, Limit uint64 }
		}
	}
	if err := json.Unmarshal([]byte(e.must("events", "--stats", id)), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "stats" || ev.Data.Memory.Usage.Limit != 100663296 || ev.Data.Pids.Limit != 60 || ev.Data.Pids.Current < 1 {
		t.Errorf("stats %+v", ev)
	}
	e.must("kill", "--all", id, "KILL")
	e.must("delete", "--force", id)
	noCgroup(t, id)
}

func TestCgroupsPauseResume(t *testing.T) {
	needCgroupV1(t, "freezer")
	e := newRT(t, func(s *specs.Spec) {
		s.Root.Readonly = false
		s.Process.Args = []string{"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /count; done"}
	})
	id := cgID("pause")
	e.must("run", "-d", id)
	defer func() { e.run("delete", "--force", id); noCgroup(t, id) }()
	// The file can be caught between truncate and write (and stays so if
	// frozen there): read again for a while before taking 0.
	count := func() int {
		for i := 0; i < 50; i++ {
			b, _ := os.ReadFile(filepath.Join(e.rootfs, "count"))
			if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return n
			}
			time.Sleep(2 * time.Millisecond)
		}
		return 0
	}
	time.Sleep(200 * time.Millisecond)
	e.must("pause", id)
	if s := e.state(id); s.Status != "paused" {
		t.Errorf("state %s after pause", s.Status)
	}
	if l := e.must("list"); !strings.Contains(l, "paused") {
		t.Errorf("list does not say paused:\n%s", l)
	}
	a := count()
	time.Sleep(300 * time.Millisecond)
	if b := count(); b != a {
		t.Errorf("counter went from %d to %d while paused", a, b)
	}
	e.must("resume", id)
	e.fails("not paused", "resume", id)
	// Under load the thawed shell may take a while to run again.
	waitFor(t, 5*time.Second, fmt.Sprintf("the counter to move past %d after resume", a), func() bool { return count() > a })
	if s := e.state(id); s.Status != specs.StateRunning {
		t.Errorf("state %s after resume", s.Status)
	}
	// A paused container is killed and removed by delete --force.
	e.must("pause", id)
	e.must("delete", "--force", id)
	noCgroup(t, id)
}

func TestCgroupsNothingLeft(t *testing.T) {
	needCgroupV1(t, "memory", "pids")
	e := newRT(t, sleeper)

	// A failed create: limits the kernel would never take.
	bad := int64(100)
	e.edit(func(s *specs.Spec) { s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &bad} })
	id := cgID("badcreate")
	// Checked before the init starts: one line, like runc's.
	e.fails("linux.resources.memory.limit 100", "create", id)
	noCgroup(t, id)
	e.edit(func(s *specs.Spec) { s.Linux.Resources.Memory = nil; s.Linux.CgroupsPath = "/jinn/../escape" })
	e.fails("cgroupsPath", "create", cgID("escape"))
	if _, err := os.Stat("/sys/fs/cgroup/memory/escape"); err == nil {
		t.Error("cgroup made outside jinn's parent")
	}

	// kill -9 of jinn-runtime in the middle of create: a createRuntime
	// hook holds it there once the cgroup is made.
	e.edit(func(s *specs.Spec) {
		s.Linux.CgroupsPath = ""
		s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sleep", Args: []string{"sleep", "30"}}}}
	})
	id = cgID("killed")
	c := e.cmd("create", id)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	cg := cgroupPath("pids", id)
	for i := 0; ; i++ {
		if _, err := os.Stat(cg); err == nil {
			break
		}
		if i > 500 {
			c.Process.Kill()
			t.Fatal("create never made its cgroup")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	c.Process.Kill() // SIGKILL
	c.Wait()
	killHook(t, id)
	e.must("delete", "--force", id)
	noCgroup(t, id)
	// Nothing makes it again once delete has run (the killed create's init
	// dies on its own a moment later).
	time.Sleep(200 * time.Millisecond)
	noCgroup(t, id)
}

// killHook ends the orphaned hook process of a killed create: ours, found
// by its parent being gone and its command line.
func killHook(t *testing.T, id string) {
	ents, _ := os.ReadDir("/proc")
	for _, en := range ents {
		pid, err := strconv.Atoi(en.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile("/proc/" + en.Name() + "/cmdline")
		env, _ := os.ReadFile("/proc/" + en.Name() + "/environ")
		if string(b) == "sleep\x0030\x00" && strings.Contains(string(env), id) {
			exec.Command("kill", "-9", strconv.Itoa(pid)).Run()
		}
	}
}

// events --interval streams stats; a controller the host lacks is a clear
// error at create, with nothing left behind.
func TestCgroupsEventsIntervalAndMissingController(t *testing.T) {
	needCgroupV1(t, "memory", "pids")
	e := newRT(t, sleeper)
	id := cgID("events")
	e.must("run", "-d", id)
	ev := e.cmd("events", "--interval", "100ms", id)
	out, _ := ev.StdoutPipe()
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for i := 0; i < 2; i++ {
		if !sc.Scan() {
			t.Fatalf("events ended: %v", sc.Err())
		}
		var m struct {
			Type string
			Data struct{ Pids struct{ Current uint64 } }
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m.Type != "stats" || m.Data.Pids.Current != 1 {
			t.Errorf("event %s: %v", sc.Bytes(), err)
		}
	}
	e.must("kill", id, "KILL")
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"exit"`) {
			break
		}
	}
	if err := ev.Wait(); err != nil {
		t.Errorf("events: %v", err)
	}
	e.must("delete", id)
	noCgroup(t, id)

	classID := uint32(0x100001)
	e.edit(func(s *specs.Spec) { s.Linux.Resources.Network = &specs.LinuxNetwork{ClassID: &classID} })
	id = cgID("netcls")
	if _, err := os.Stat("/sys/fs/cgroup/net_cls/cgroup.procs"); err == nil {
		// The host has net_cls: the class is set.
		e.must("create", id)
		if got := cgFile(t, "net_cls", id, "net_cls.classid"); got != strconv.Itoa(int(classID)) {
			t.Errorf("net_cls.classid %s, want %d", got, classID)
		}
		e.must("delete", "--force", id)
	} else if _, stderr, code := e.run("create", id); code == 0 || !strings.Contains(stderr, "linux.resources.network.classID: the host has no net_cls cgroup controller") {
		// Without it, the runtime refuses the config clearly.
		t.Errorf("create with net_cls: exit %d, %s", code, stderr)
	}
	noCgroup(t, id)
}
