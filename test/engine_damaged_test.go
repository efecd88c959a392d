package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// damages are what a crash, a full disk or a stray write do to a record.
var damages = []struct {
	name string
	do   func(path string) error
}{
	{"empty", func(p string) error { return os.Truncate(p, 0) }},
	{"truncated", func(p string) error {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(p, b[:len(b)/2], 0o600)
	}},
	{"garbage", func(p string) error {
		return os.WriteFile(p, []byte("\x00\x9f\xff garbage {{{ \x7f\n\x01"), 0o600)
	}},
	{"missing", func(p string) error { return os.Remove(p) }},
}

// recordKind is one record of a container and where it lives.
type recordKind struct {
	name string
	path func(j *jinnEnv, id string) string
	// dead: a damaged record shows the container as dead (the snapshot
	// index is rebuilt instead, so nothing shows).
	dead bool
	// what State.Error names.
	says string
}

var recordKinds = []recordKind{
	{"config", func(j *jinnEnv, id string) string { return filepath.Join(j.root, "containers", id, "config.json") }, true, "config.json"},
	{"engine-state", func(j *jinnEnv, id string) string { return filepath.Join(j.runroot, "containers", id, "state") }, true, "engine state"},
	{"runtime-state", func(j *jinnEnv, id string) string {
		name := "state.json"
		if j.runtime == "crun" {
			name = "status"
		}
		return filepath.Join(j.runroot, "runtime", j.runtime, id, name)
	}, true, "runtime state"},
	{"snapshot-index", func(j *jinnEnv, id string) string { return filepath.Join(j.root, "snapshots", "meta.json") }, false, ""},
	// The network's record of the container: not shown, but it must not
	// break the other containers' networking, and rm -f still finds the
	// veth and rules.
	{"network-record", func(j *jinnEnv, id string) string {
		return filepath.Join(j.root, "network", "containers", id+".json")
	}, false, ""},
}

// TestEngineDamagedRecords: for every record of a container (its config,
// the engine's state, the runtime's state, the snapshot index) and every
// damage, with the container running (default bridge, a published port)
// and stopped: ps -a lists it, inspect explains, stop says what is wrong,
// rm -f removes everything it had, its name is free again, and another
// container of the same store runs on untouched. The runtime's state is
// damaged under each runtime; the engine's records under jinn-runtime.
// Under runc and crun only garbage and a missing file are tried: empty and
// truncated take the same path (the state file is not valid JSON).
func TestEngineDamagedRecords(t *testing.T) {
	for _, kind := range recordKinds {
		rts := []string{"jinn-runtime"}
		if kind.name == "runtime-state" {
			rts = engineRuntimes()
		}
		for _, rt := range rts {
			t.Run(kind.name+"/"+rt, func(t *testing.T) { testDamagedKind(t, rt, kind) })
		}
	}
}

func testDamagedKind(t *testing.T, rt string, kind recordKind) {
	j := newJinn(t, rt)
	bystander := strings.TrimSpace(j.ok(j.runArgs([]string{"-d", "--name", "bystander", "-p", "80"}, "sleep", "1000")...))
	bpid := j.inspect(bystander, "{{.State.Pid}}")
	bport := j.owned(bystander).port
	for _, d := range damages {
		if rt != "jinn-runtime" && (d.name == "empty" || d.name == "truncated") {
			continue
		}
		for _, running := range []bool{true, false} {
			state := "stopped"
			if running {
				state = "running"
			}
			t.Run(d.name+"/"+state, func(t *testing.T) {
				j := j.with(t)
				name := "dmg-" + d.name + "-" + state
				id := strings.TrimSpace(j.ok(j.runArgs([]string{"-d", "--name", name, "-p", "80"}, "sleep", "1000")...))
				if !running {
					j.ok("stop", "-t", "0", name)
				}
				had := j.owned(id)
				if running && (had.port == "" || len(had.veths) == 0 || had.pid == 0 || had.monitor == 0) {
					t.Fatalf("running container lacks what the test checks: %+v", had)
				}
				if running && !j.hasPortRule(had.port) {
					t.Fatalf("no nft rule for port %s: the cleanup check would prove nothing:\n%s", had.port, nftTable(j))
				}
				p := kind.path(j, id)
				if (kind.name == "runtime-state" || kind.name == "network-record") && !running {
					// A stopped container has neither: plant one, as a
					// delete or teardown that failed midway leaves.
					os.MkdirAll(filepath.Dir(p), 0o700)
					os.WriteFile(p, []byte(`{"id":"`+id+`","status":"stopped"}`), 0o600)
				}
				if err := d.do(p); err != nil {
					t.Fatalf("damage %s: %v", p, err)
				}
				dead := kind.dead && !(kind.name == "runtime-state" && !running && d.name == "missing")

				ps := j.ok("ps", "-a", "--format", "{{.Names}} {{.State}}")
				if !strings.Contains(ps, name+" ") {
					t.Errorf("ps -a does not list the damaged container:\n%s", ps)
				}
				got := j.inspect(name, "{{.State.Status}}|{{.State.Dead}}|{{.State.Error}}")
				if dead {
					if !strings.HasPrefix(got, "dead|true|") || !strings.Contains(got, kind.says) {
						t.Errorf("inspect: %q, want dead with an error naming %q", got, kind.says)
					}
					_, errs, code := j.run("stop", name)
					if code == 0 || !strings.Contains(errs, "damaged") || strings.Contains(errs, "after SIGKILL") {
						t.Errorf("stop of a damaged container: exit %d %q", code, errs)
					}
				} else if want := map[bool]string{true: "running", false: "exited"}[running]; !strings.HasPrefix(got, want+"|") {
					t.Errorf("inspect: %q, want %s", got, want)
				}

				if _, errs, code := j.run("rm", "-f", name); code != 0 {
					t.Fatalf("rm -f: exit %d %s", code, errs)
				}
				j.assertGone(id, name, had)
				if st := j.inspect("bystander", "{{.State.Status}} {{.State.Pid}}"); st != "running "+bpid {
					t.Errorf("the other container: %s, want running %s", st, bpid)
				}
				if !j.hasPortRule(bport) {
					t.Errorf("the other container's port %s lost its rule", bport)
				}
				j.ok("create", "--name", name, "busybox", "true")
				j.ok("rm", name)
			})
		}
	}
	// The other container's records all survived: it stops and starts.
	j.ok("stop", "-t", "0", "bystander")
	j.ok("start", "bystander")
	if st := j.inspect("bystander", "{{.State.Status}}"); st != "running" {
		t.Errorf("the other container after a restart: %s", st)
	}
	j.ok("rm", "-f", "bystander")
}

// TestEngineDamagedOrphanLayer: a container whose every record was lost
// leaves a layer no record owns; system prune reclaims it.
func TestEngineDamagedOrphanLayer(t *testing.T) {
	j := newJinn(t, "jinn-runtime")
	j.ok(j.runArgs([]string{"--name", "lost"}, "true")...)
	id := j.inspect("lost", "{{.Id}}")
	had := j.owned(id)
	if had.snapshotDir == "" {
		t.Fatal("no snapshot directory found")
	}
	syscall.Unmount(filepath.Join(j.runroot, "containers", id, "rootfs"), syscall.MNT_DETACH)
	os.RemoveAll(filepath.Join(j.root, "containers", id))
	os.RemoveAll(filepath.Join(j.runroot, "containers", id))
	os.Remove(filepath.Join(j.root, "names", "lost"))
	// A layer directory the index never heard of (a crash between the
	// two, or an entry lost with a damaged index and its own record).
	stray := filepath.Join(j.root, "snapshots", "9999")
	os.MkdirAll(filepath.Join(stray, "fs"), 0o755)
	j.ok("system", "prune", "-f")
	for _, d := range []string{had.snapshotDir, stray} {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("system prune left the orphaned layer %s", d)
		}
	}
	// The image's own layers stay: it still runs.
	j.ok(j.runArgs([]string{"--rm"}, "true")...)
}

// with is the same store driven from another (sub)test.
func (j *jinnEnv) with(t *testing.T) *jinnEnv {
	c := *j
	c.t = t
	return &c
}

// owned is what a container had on the host, found before its records
// were damaged.
type owned struct {
	pid, monitor int
	port         string
	veths        []string
	snapshotDir  string
}

func (j *jinnEnv) owned(id string) owned {
	var o owned
	o.pid, _ = strconv.Atoi(j.inspect(id, "{{.State.Pid}}"))
	o.monitor = monitorPid(j.t, id)
	if out, _, code := j.run("port", id, "80"); code == 0 {
		if i := strings.LastIndex(strings.TrimSpace(out), ":"); i >= 0 {
			o.port = strings.Fields(strings.TrimSpace(out)[i+1:])[0]
		}
	}
	var rec struct {
		Endpoints []struct {
			HostVeth string `json:"hostVeth"`
		} `json:"endpoints"`
	}
	if b, err := os.ReadFile(filepath.Join(j.root, "network", "containers", id+".json")); err == nil {
		json.Unmarshal(b, &rec)
		for _, ep := range rec.Endpoints {
			o.veths = append(o.veths, ep.HostVeth)
		}
	}
	infos, _ := filepath.Glob(filepath.Join(j.root, "snapshots", "*", "info.json"))
	for _, p := range infos {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), `"key":"jinn-`+id+`"`) {
			o.snapshotDir = filepath.Dir(p)
		}
	}
	return o
}

func (j *jinnEnv) hasPortRule(port string) bool {
	return strings.Contains(nftTable(j), "dport "+port+" ")
}

// assertGone checks that nothing the container had is left: processes,
// mounts, cgroups, runtime and engine state, network (veth, address,
// rules), layer and name.
func (j *jinnEnv) assertGone(id, name string, had owned) {
	t := j.t
	t.Helper()
	for _, pid := range []int{had.pid, had.monitor} {
		if pid != 0 && alive(pid) {
			cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			t.Errorf("process %d left running: %q", pid, cmd)
		}
	}
	mountinfo := "/proc/self/mountinfo"
	if j.mntns != 0 {
		mountinfo = fmt.Sprintf("/proc/%d/mountinfo", j.mntns)
	}
	mounts, _ := os.ReadFile(mountinfo)
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, id) {
			t.Errorf("mount left behind: %s", line)
		}
	}
	for _, cg := range cgroupDirs(suite.cgroupParent + "/" + id) {
		t.Errorf("cgroup left behind: %s", cg)
	}
	left := []string{
		filepath.Join(j.root, "containers", id),
		filepath.Join(j.runroot, "containers", id),
		filepath.Join(j.runroot, "netns", id),
		filepath.Join(j.root, "network", "containers", id+".json"),
		filepath.Join(j.root, "names", name),
	}
	rtdirs, _ := filepath.Glob(filepath.Join(j.runroot, "runtime", "*", id))
	left = append(left, rtdirs...)
	if had.snapshotDir != "" {
		left = append(left, had.snapshotDir)
	}
	for _, p := range left {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("left behind: %s", p)
		}
	}
	// The kernel deletes a removed container's veths with its namespace,
	// after rm returns (network_release_test.go): bounded by releaseWait.
	for _, v := range had.veths {
		for deadline := time.Now().Add(releaseWait); ; time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat("/sys/class/net/" + v); err != nil {
				break
			} else if time.Now().After(deadline) {
				t.Errorf("veth left behind: %s", v)
				break
			}
		}
	}
	if had.port != "" && j.hasPortRule(had.port) {
		table, _ := j.netNames()
		t.Errorf("nft rule for port %s left behind in table %s", had.port, table)
	}
	if ps := j.ok("ps", "-a", "--format", "{{.Names}}"); strings.Contains(ps, name+"\n") {
		t.Errorf("ps -a still lists %s", name)
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndex(string(b), ")")
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}
