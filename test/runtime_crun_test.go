package test

import (
	"bytes"
	"errors"
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
	pidFile := filepath.Join(t.TempDir(), "pid")
	for _, args := range [][]string{
		{"run", "--pid-file", pidFile, id},
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
	if _, err := os.Stat(pidFile); err != nil {
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

	// --detach: Go's, and the container runs on.
	e.edit(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "2"} })
	e.must("run", id)
	e.must("run", "-d", id)
	waitStatus(t, e, id, specs.StateRunning)
	e.must("kill", id, "KILL")
	waitStatus(t, e, id, specs.StateStopped)
	e.must("delete", id)
	if got := served(); len(got) != 3 {
		t.Fatalf("--detach: the C run served %v", got)
	}
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
