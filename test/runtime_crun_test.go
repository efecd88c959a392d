package test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The C run (cmd/jinn-runtime/run.c): `run` of a bundle the Go run has
// run before with the same id and config is served before Go starts, from
// the plan the Go run left (internal/runtime/runplan.go).

// cRunEnv gives e's runtime a plan directory of its own, a cgroup parent
// of its own and the C run's trace file, whose ids it returns.
func cRunEnv(t *testing.T, e *rtEnv) (served func() []string, planDir, parent string) {
	dir := t.TempDir()
	planDir, trace := filepath.Join(dir, "plans"), filepath.Join(dir, "trace")
	parent = os.Getenv(cgroupParentEnv) + "/crun-" + newID("p")
	e.env = append(e.env, "JINN_RUNTIME_PLAN_DIR="+planDir, "JINN_RUN_TRACE="+trace, cgroupParentEnv+"="+parent)
	return func() []string {
		b, _ := os.ReadFile(trace)
		return strings.Fields(string(b))
	}, planDir, parent
}

type runResult struct {
	out, err string
	code     int
}

// runBoth runs id twice: by Go (no plan yet), then by C, which must give
// the same result.
func runBoth(t *testing.T, e *rtEnv, served func() []string, id string, args ...string) runResult {
	t.Helper()
	before := len(served())
	var res [2]runResult
	for i := range res {
		o, er, c := e.run(append(append([]string{"run"}, args...), id)...)
		res[i] = runResult{o, er, c}
		want := before + i
		if got := served(); len(got) != want {
			t.Fatalf("run %d of %s: the C run served %v, want %d runs", i+1, id, got, want)
		}
	}
	if res[0] != res[1] {
		t.Fatalf("Go run %+v, C run %+v", res[0], res[1])
	}
	return res[1]
}

func cRunCgroups(parent, id string) []string {
	var out []string
	for _, c := range []string{"memory", "pids", "devices", "freezer", "cpuset"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", c)); err == nil {
			out = append(out, filepath.Join("/sys/fs/cgroup", c, parent, id))
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/unified/cgroup.controllers"); err == nil {
		out = append(out, filepath.Join("/sys/fs/cgroup/unified", parent, id))
	}
	return out
}

func TestRuntimeCRun(t *testing.T) {
	if _, err := os.Stat("/sys/fs/cgroup/memory/tasks"); err != nil {
		t.Skipf("the C run needs v1 cgroup hierarchies (pure cgroup2 host): %v", err)
	}
	e := newRT(t, nil)
	served, _, parent := cRunEnv(t, e)

	e.edit(func(s *specs.Spec) { s.Process.Args = []string{"sh", "-c", "echo out; echo err >&2; exit 3"} })
	if r := runBoth(t, e, served, "crun-exit", "--bundle", e.bundle); r.code != 3 || r.out != "out\n" || r.err != "err\n" {
		t.Errorf("exit 3 run: %+v", r)
	}
	e.edit(func(s *specs.Spec) { s.Process.Args = []string{"/bin/true"} })
	if r := runBoth(t, e, served, "crun-true"); r.code != 0 || r.out != "" || r.err != "" {
		t.Errorf("true: %+v", r)
	}
	assertDeleted(t, e, "crun-true", cRunCgroups(parent, "crun-true"))

	// A sleeping container, run by Go, then by C twice: once with the
	// same id, once with another id of the same length (the id is a hole
	// of the plan: the state dir, cgroups, keyring, not part of its key).
	// State and kill from another process while it runs, its cgroups
	// there, the id taken; killed, 137, and nothing left.
	e.edit(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "30"} })
	for i, id := range []string{"crun-sleep1", "crun-sleep1", "crun-sleep2"} {
		cRunSleeper(t, e, parent, id)
		if got := served(); len(got) != 2+i || i > 0 && got[1+i] != id {
			t.Errorf("run %d: the C run served %v", i+1, got)
		}
	}
}

func cRunSleeper(t *testing.T, e *rtEnv, parent, id string) {
	t.Helper()
	cmd := e.cmd("run", id)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, e, id, specs.StateRunning)
	st := e.state(id)
	if st.Pid <= 0 || st.Bundle != e.bundle || st.ID != id {
		t.Errorf("%s: state %+v", id, st)
	}
	for _, d := range cRunCgroups(parent, id) {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil || !strings.Contains("\n"+string(b), "\n"+strconv.Itoa(st.Pid)+"\n") {
			t.Errorf("%s: cgroup %s: %q, %v; want its init %d", id, d, b, err, st.Pid)
		}
	}
	e.fails("container with given ID already exists", "run", id)
	e.must("kill", id, "KILL")
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 137 {
		t.Errorf("%s killed: %v, stderr %q", id, err, stderr.String())
	}
	assertDeleted(t, e, id, cRunCgroups(parent, id))
}

// An init that fails once the C run has forked it: the error as Go's run
// reports it, exit 1, nothing left.
func TestRuntimeCRunInitFails(t *testing.T) {
	if _, err := os.Stat("/sys/fs/cgroup/memory/tasks"); err != nil {
		t.Skipf("the C run needs v1 cgroup hierarchies (pure cgroup2 host): %v", err)
	}
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"/bin/gone"} })
	served, _, parent := cRunEnv(t, e)
	if err := os.WriteFile(filepath.Join(e.rootfs, "bin/gone"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, format := range []string{"text", "json"} {
		e.must("run", "crun-fail") // the plan
		if err := os.Remove(filepath.Join(e.rootfs, "bin/gone")); err != nil {
			t.Fatal(err)
		}
		log := filepath.Join(t.TempDir(), "log")
		e.flags = []string{"--log", log, "--log-format", format}
		_, stderr, code := e.run("run", "crun-fail")
		cLog, _ := os.ReadFile(log)
		if got := served(); len(got) != 2*i+1 { // the second plan run is C's too
			t.Errorf("the C run served %v", got)
		}
		want := `exec: "/bin/gone": no such file or directory`
		if code != 1 || stderr != want+"\n" {
			t.Errorf("%s: exit %d, stderr %q", format, code, stderr)
		}
		assertDeleted(t, e, "crun-fail", cRunCgroups(parent, "crun-fail"))
		// Go's run reports it the same way.
		os.Remove(log)
		env := e.env
		e.env = append(e.env, "JINN_RUNTIME_PLAN_DIR=off")
		_, goErr, goCode := e.run("run", "crun-fail")
		goLog, _ := os.ReadFile(log)
		e.env, e.flags = env, nil
		if goCode != code || goErr != stderr || stripTime(string(goLog)) != stripTime(string(cLog)) {
			t.Errorf("%s: Go: exit %d, %q, log %q; C: exit %d, %q, log %q", format, goCode, goErr, goLog, code, stderr, cLog)
		}
		os.WriteFile(filepath.Join(e.rootfs, "bin/gone"), []byte("#!/bin/sh\n"), 0o755)
	}
}

// stripTime drops the time of logrus lines, text or JSON.
func stripTime(s string) string {
	return regexp.MustCompile(`time=\S+ |,?"time":"[^"]*"`).ReplaceAllString(s, "")
}

// What the C run leaves to Go: every case still runs, by Go.
func TestRuntimeCRunFallsThrough(t *testing.T) {
	if _, err := os.Stat("/sys/fs/cgroup/memory/tasks"); err != nil {
		t.Skipf("the C run needs v1 cgroup hierarchies (pure cgroup2 host): %v", err)
	}
	e := newRT(t, nil)
	served, planDir, _ := cRunEnv(t, e)
	const id = "crun-ft"
	e.must("run", id) // the plan
	for _, args := range [][]string{
		{"run", "--pid-file", "a/../pid", id}, // not clean: filepath.Abs's
		{"run", "--no-pivot", id},
		{"run", "--no-new-keyring", id},
		{"--debug", "run", id},
		{"run", "--preserve-fds", "0", id},
		{"run", "--bundle", e.bundle + "/", id}, // not the plan's bundle, as written
		{"run", "crun-other"},                   // another id
	} {
		e.must(args...)
		if got := served(); len(got) != 0 {
			t.Fatalf("%v: the C run served %v", args, got)
		}
	}
	if _, err := os.Stat(filepath.Join(e.bundle, "pid")); err != nil {
		t.Errorf("--pid-file: %v", err)
	}
	e.must("run", id)
	if got := served(); len(got) != 1 {
		t.Fatalf("the plan's run: the C run served %v", got)
	}

	// Changed config bytes (the same spec, written again with a space).
	p := filepath.Join(e.bundle, "config.json")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, append(b, ' '), 0o644)
	e.must("run", id)
	e.must("run", id) // by C again: the Go run left a plan for the new bytes
	if got := served(); len(got) != 2 {
		t.Fatalf("changed config: the C run served %v, want the second run only", got)
	}

	// A plan of another binary (a copy: another inode) is not used, and
	// that binary's own plan is not the first's.
	cp := filepath.Join(t.TempDir(), "jinn-runtime")
	if out, err := exec.Command("cp", e.bin, cp).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	orig := e.bin
	e.bin = cp
	e.must("run", id)
	e.bin = orig
	e.must("run", id)
	if got := served(); len(got) != 2 {
		t.Fatalf("another binary's plan: the C run served %v", got)
	}

	// A plan directory others may write is not trusted.
	e.must("run", id)
	if got := served(); len(got) != 3 {
		t.Fatalf("the C run served %v", got)
	}
	if err := os.Chmod(planDir, 0o777); err != nil {
		t.Fatal(err)
	}
	e.must("run", id)
	if got := served(); len(got) != 3 {
		t.Fatalf("an untrusted plan directory: the C run served %v", got)
	}
	os.Chmod(planDir, 0o700)

}

// `run --detach --pid-file P ID`, as the engine's monitors run it: by Go,
// then by C, the same exit (0, nothing said), the pid file as Go writes it
// (absolute or relative to the working directory), the container running
// on for the caller: state, kill, and its exit status seen by delete.
func TestRuntimeCRunDetach(t *testing.T) {
	if _, err := os.Stat("/sys/fs/cgroup/memory/tasks"); err != nil {
		t.Skipf("the C run needs v1 cgroup hierarchies (pure cgroup2 host): %v", err)
	}
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "30"} })
	served, _, parent := cRunEnv(t, e)
	abs := filepath.Join(t.TempDir(), "init.pid")
	for i, pidFile := range []string{abs, abs, "init.pid", "init.pid"} {
		id := "crun-det" + strconv.Itoa(i%2)
		os.Remove(abs)
		os.Remove(filepath.Join(e.bundle, "init.pid"))
		out, stderr, code := e.run("run", "--detach", "--bundle", e.bundle, "--pid-file", pidFile, id)
		if code != 0 || out != "" || stderr != "" {
			t.Fatalf("run %d: exit %d, %q, %q", i+1, code, out, stderr)
		}
		if got := served(); len(got) != i || i > 0 && got[i-1] != id {
			t.Errorf("run %d: the C run served %v", i+1, got)
		}
		st := e.state(id)
		if st.Status != specs.StateRunning || st.Pid <= 0 {
			t.Fatalf("run %d: state %+v", i+1, st)
		}
		p := pidFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(e.bundle, p)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != strconv.Itoa(st.Pid) {
			t.Errorf("run %d: pid file %q, %v; want %d", i+1, b, err, st.Pid)
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644&^umask() {
			t.Errorf("run %d: pid file mode %v, %v", i+1, fi.Mode(), err)
		}
		if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 && filepath.IsAbs(pidFile) {
			t.Errorf("run %d: left beside the pid file: %v", i+1, ents)
		}
		for _, d := range cRunCgroups(parent, id) {
			b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
			if err != nil || !strings.Contains("\n"+string(b), "\n"+strconv.Itoa(st.Pid)+"\n") {
				t.Errorf("%s: cgroup %s: %q, %v; want its init %d", id, d, b, err, st.Pid)
			}
		}
		e.fails("container with given ID already exists", "run", "-d", id)
		e.must("kill", id, "KILL")
		waitStatus(t, e, id, specs.StateStopped)
		e.must("delete", id)
		assertDeleted(t, e, id, cRunCgroups(parent, id))
	}

	// A pid file that cannot be written: Go's error, exit 1, nothing left.
	bad := filepath.Join(t.TempDir(), "gone", "init.pid")
	var res [2]runResult
	env := e.env
	for i := range res {
		e.env = env
		if i == 0 {
			e.env = append(e.env, "JINN_RUNTIME_PLAN_DIR=off")
		}
		o, er, c := e.run("run", "-d", "--pid-file", bad, "crun-det0")
		res[i] = runResult{o, regexp.MustCompile(`\.tmp\d+-\d+`).ReplaceAllString(er, ".tmpN"), c}
		assertDeleted(t, e, "crun-det0", cRunCgroups(parent, "crun-det0"))
	}
	e.env = env
	if got := served(); len(got) != 4 {
		t.Errorf("bad pid file: the C run served %v", got)
	}
	if res[0] != res[1] || res[1].code != 1 || !strings.Contains(res[1].err, "write pid file: open "+bad+".tmpN: no such file") {
		t.Errorf("bad pid file: Go %+v, C %+v", res[0], res[1])
	}
}

func umask() os.FileMode {
	m := unix.Umask(0)
	unix.Umask(m)
	return os.FileMode(m)
}

// CVE-2019-5736 on the C run: its init, a fork of the runtime, execs the
// runtime again from the read-only clone (as the Go run's), so a handle on
// its exe kept past the user program's execve cannot open the host binary
// for writing, once nothing runs it. The init is caught before that
// execve by a freezer cgroup the test made frozen in its place: it
// freezes as it joins.
func TestRuntimeCRunBinaryIsSealed(t *testing.T) {
	freezer := "/sys/fs/cgroup/freezer"
	if _, err := os.Stat(filepath.Join(freezer, "tasks")); err != nil {
		t.Skipf("no v1 freezer hierarchy: %v", err)
	}
	e := newRT(t, func(s *specs.Spec) { s.Process.Args = []string{"sleep", "2"} })
	served, _, parent := cRunEnv(t, e)
	const id = "crun-sealed"
	e.must("run", id) // Go's, the plan
	dir := freezer
	var made []string // removed at the end, those the run left
	defer func() {
		for i := len(made) - 1; i >= 0; i-- {
			os.Remove(made[i])
		}
	}()
	for _, el := range strings.Split(parent+"/"+id, "/") {
		dir = filepath.Join(dir, el)
		if err := os.Mkdir(dir, 0o755); err == nil {
			made = append(made, dir)
		} else if !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("FROZEN"), 0); err != nil {
		t.Fatal(err)
	}
	cmd := e.cmd("run", id)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := 0
	for i := 0; i < 500 && pid == 0; i++ {
		b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(5 * time.Millisecond)
	}
	if pid == 0 {
		os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0)
		t.Fatal("the init never joined its freezer cgroup")
	}
	comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/exe", unix.O_PATH|unix.O_CLOEXEC, 0)
	os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if strings.TrimSpace(string(comm)) != "jinn:[init]" {
		t.Fatalf("caught %q, want the init before its execve", comm)
	}
	// Once the run is over, no process runs the binary (ETXTBSY while
	// the run's own process does).
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
	w, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_WRONLY, 0)
	if err == nil {
		w.Close()
		t.Fatal("the runtime binary is writable through the C run's init's exe")
	}
	if !errors.Is(err, syscall.EROFS) {
		t.Fatalf("open exe for writing: %v, want EROFS", err)
	}
	if got := served(); len(got) != 1 {
		t.Errorf("the C run served %v", got)
	}
}

// The engine's bundles: one per container, under a directory named by its
// id, whose config.json holds the id (the rootfs under the bundle, the
// network namespace joined by path, a hosts file's source) and its
// 12-byte prefix (hostname, HOSTNAME). The first run is Go's; the next
// ids' are C's from its plan (the id and its prefix are holes of the
// plan, its name and its config), each in its own namespace and name. A
// namespace path that is missing or of another type fails as Go's run
// does; a config that differs elsewhere is Go's.
func TestRuntimeCRunEngineBundle(t *testing.T) {
	if _, err := os.Stat("/sys/fs/cgroup/memory/tasks"); err != nil {
		t.Skipf("the C run needs v1 cgroup hierarchies (pure cgroup2 host): %v", err)
	}
	e := newRT(t, nil)
	served, _, parent := cRunEnv(t, e)
	base := t.TempDir()
	var netns []string
	t.Cleanup(func() {
		for _, p := range netns {
			unix.Unmount(p, unix.MNT_DETACH)
		}
	})
	tmplBytes, _ := os.ReadFile(filepath.Join(e.bundle, "config.json"))
	// bundle makes id's bundle; ns: "" a new network namespace, "gone"
	// none, "file" a regular file; hostname: "" the id's prefix.
	bundle := func(id, ns, hostname string) string {
		t.Helper()
		dir := filepath.Join(base, id)
		bdl := filepath.Join(dir, "bundle")
		if err := os.MkdirAll(bdl, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-a", e.rootfs, filepath.Join(bdl, "rootfs")).CombinedOutput(); err != nil {
			t.Fatalf("copy rootfs: %v: %s", err, out)
		}
		os.WriteFile(filepath.Join(dir, "hosts"), []byte("127.0.0.1 localhost "+id[:12]+"\n"), 0o644)
		nsPath := filepath.Join(base, "netns-"+id)
		switch ns {
		case "":
			os.WriteFile(nsPath, nil, 0o644)
			if out, err := exec.Command("unshare", "--net="+nsPath, "true").CombinedOutput(); err != nil {
				t.Skipf("a network namespace bound to a file (unshare --net=FILE): %v: %s", err, out)
			}
			netns = append(netns, nsPath)
		case "file":
			os.WriteFile(nsPath, nil, 0o644)
		}
		if hostname == "" {
			hostname = id[:12]
		}
		var s specs.Spec
		if err := json.Unmarshal(tmplBytes, &s); err != nil {
			t.Fatal(err)
		}
		s.Hostname = hostname
		s.Process.Env = append([]string{"HOSTNAME=" + hostname}, s.Process.Env...)
		s.Process.Args = []string{"sh", "-c", "hostname; echo $HOSTNAME; cat /etc/hosts; readlink /proc/self/ns/net; exit 3"}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/etc/hosts", Type: "bind",
			Source: filepath.Join(dir, "hosts"), Options: []string{"rbind", "ro"}})
		nss := s.Linux.Namespaces
		s.Linux.Namespaces = nil
		for _, n := range nss {
			if n.Type != specs.NetworkNamespace {
				s.Linux.Namespaces = append(s.Linux.Namespaces, n)
			}
		}
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: nsPath})
		b, err := json.Marshal(&s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bdl, "config.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return bdl
	}
	engineID := func() string {
		b := make([]byte, 32)
		rand.Read(b)
		return hex.EncodeToString(b)
	}
	for i := 0; i < 3; i++ {
		id := engineID()
		out, stderr, code := e.run("run", "--bundle", bundle(id, "", ""), id)
		var st unix.Stat_t
		unix.Stat(filepath.Join(base, "netns-"+id), &st)
		want := fmt.Sprintf("%s\n%s\n127.0.0.1 localhost %s\nnet:[%d]\n", id[:12], id[:12], id[:12], st.Ino)
		if code != 3 || out != want || stderr != "" {
			t.Errorf("run %d: exit %d, %q, %q; want 3, %q", i+1, code, out, stderr, want)
		}
		if got := served(); len(got) != i || i > 0 && got[i-1] != id {
			t.Errorf("run %d: the C run served %v", i+1, got)
		}
		assertDeleted(t, e, id, cRunCgroups(parent, id))
	}

	// A namespace path that is not there, or not a network namespace:
	// Go's error (plans off), then C's, the same; nothing left.
	env := e.env
	for i, ns := range []string{"gone", "file"} {
		id := engineID()
		bdl := bundle(id, ns, "")
		var res [2]runResult
		for k := range res {
			e.env = env
			if k == 0 {
				e.env = append(e.env, "JINN_RUNTIME_PLAN_DIR=off")
			}
			o, er, c := e.run("run", "--bundle", bdl, id)
			res[k] = runResult{o, er, c}
			assertDeleted(t, e, id, cRunCgroups(parent, id))
		}
		e.env = env
		if got := served(); len(got) != 3+i {
			t.Errorf("%s: the C run served %v", ns, got)
		}
		wantErr := map[string]string{"gone": "nsexec: open namespace " + filepath.Join(base, "netns-"+id) + ": No such file or directory",
			"file": "nsexec: setns namespace: Invalid argument"}[ns]
		if res[0].code != res[1].code || stripTime(res[0].err) != stripTime(res[1].err) || res[1].code != 1 ||
			!strings.Contains(res[1].err, strconv.Quote(wantErr)) {
			t.Errorf("%s: Go %+v, C %+v; want exit 1, %q", ns, res[0], res[1], wantErr)
		}
	}

	// A config that differs from the template elsewhere: Go's.
	id := engineID()
	if out, _, code := e.run("run", "--bundle", bundle(id, "", "other"), id); code != 3 || !strings.HasPrefix(out, "other\nother\n") {
		t.Errorf("another hostname: exit %d, %q", code, out)
	}
	if got := served(); len(got) != 4 {
		t.Errorf("another hostname: the C run served %v", got)
	}
}
