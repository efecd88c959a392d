package test

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// faultCase is one line of the fault report.
type faultCase struct {
	name, fault       string
	cycles            int
	failed, hung      int64
	kills             int
	lies, leaks       int
	psBefore, outcome string
}

var faultReport struct {
	mu    sync.Mutex
	cases []faultCase
}

// TestEngineSoakFaults runs the soak's cycles under faults: kill -9 of
// the CLI, of the monitor or of the runtime at random points, the store's
// disk full (a small loop-mounted ext4), a full address pool, damaged
// records. Commands may fail (with an error, never a panic nor a hang);
// afterwards `ps -a` must be truthful (a running container has its
// process, an exited or dead one none, no process runs in a cgroup of a
// container ps does not list) and `rm -f` plus `system prune` must leave
// every row of the leak table at 0. The report table is logged (and
// printed with JINN_SOAK set).
func TestEngineSoakFaults(t *testing.T) {
	n, _ := soakCycles()
	for _, kind := range []string{"cli", "monitor", "runtime"} {
		t.Run("kill-"+kind, func(t *testing.T) {
			s := newSoak(t)
			s.faulty = true
			stop := make(chan struct{})
			kills := make(chan int)
			go func() { kills <- s.killer(kind, stop) }()
			s.cycles(n, 8)
			close(stop)
			if kind != "cli" {
				// Every cycle removes its container: one left running is a
				// run that failed (its monitor or runtime killed) and yet
				// left the container running unwatched. A killed CLI may
				// leave one running, as docker's would.
				if out := strings.TrimSpace(s.j.ok("ps", "--format", "{{.Names}} {{.Status}}")); out != "" {
					t.Errorf("a failed run left containers running:\n%s", out)
				}
			}
			s.judge(faultCase{name: "kill -9 " + kind, fault: "a random " + kind + " process every 20-200 ms", cycles: n, kills: <-kills})
		})
	}
	t.Run("disk-full", testSoakDiskFull)
	t.Run("ipam-full", func(t *testing.T) { testSoakIPAMFull(t, n) })
	t.Run("damaged-records", testSoakDamaged)
	faultReport.mu.Lock()
	defer faultReport.mu.Unlock()
	var b strings.Builder
	b.WriteString("| case | fault | cycles | failed commands | hung | kills | ps -a lies | leaks after rm -f + prune | outcome |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, c := range faultReport.cases {
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %d | %d | %s |\n", c.name, c.fault, c.cycles, c.failed, c.hung, c.kills, c.lies, c.leaks, c.outcome)
	}
	t.Logf("fault report:\n%s", b.String())
	if os.Getenv("JINN_SOAK") != "" {
		fmt.Print("fault report:\n" + b.String())
	}
	faultReport.cases = nil
}

// killer kills -9 a random process of kind ("cli": jinn commands of the
// store, "monitor", "runtime") every 20-200 ms until stop; it returns how
// many it killed.
func (s *soak) killer(kind string, stop chan struct{}) int {
	r := rand.New(rand.NewSource(s.seed - 1))
	kills := 0
	for {
		select {
		case <-stop:
			return kills
		case <-time.After(time.Duration(20+r.Intn(180)) * time.Millisecond):
		}
		var pids []int
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err != nil {
				continue
			}
			argv := strings.Split(string(b), "\x00")
			cmd := strings.Join(argv, " ")
			if !strings.Contains(cmd, s.j.root) && !strings.Contains(cmd, s.j.runroot) {
				continue
			}
			name := filepath.Base(argv[0])
			if name == "jinn-monitor-c" {
				name = "jinn-monitor" // either monitor is "the monitor"
			}
			if name == map[string]string{"cli": "jinn", "monitor": "jinn-monitor", "runtime": "jinn-runtime"}[kind] {
				pids = append(pids, pid)
			}
		}
		if len(pids) > 0 {
			if syscallKill(pick(r, pids...)) == nil {
				kills++
			}
		}
	}
}

// judge checks what the cycles left: ps -a is truthful, rm -f and system
// prune clear everything; it records the case in the report.
func (s *soak) judge(c faultCase) {
	t := s.t
	t.Helper()
	s.report()
	c.failed, c.hung = s.failed.Load(), s.hung.Load()
	// Let restarts and the last kills settle.
	time.Sleep(500 * time.Millisecond)
	lies := s.psLies()
	for _, l := range lies {
		t.Errorf("ps -a is not truthful: %s", l)
	}
	c.lies = len(lies)
	c.psBefore = strings.TrimSpace(s.j.ok("ps", "-a", "--format", "{{.State}}"))
	for _, l := range strings.Split(s.j.ok("ps", "-a", "--filter", "status=dead", "--format", "{{.ID}}"), "\n") {
		if l != "" {
			t.Logf("dead: %s: %s", l, s.j.inspect(l, "{{.State.Error}}"))
		}
	}
	s.clearAll()
	s.finish()
	rows := s.w.assertNoLeaks(t)
	for _, r := range rows {
		c.leaks += len(r.items)
	}
	c.outcome = "ok"
	if t.Failed() {
		c.outcome = "FAILED"
	}
	states := map[string]int{}
	for _, st := range strings.Fields(c.psBefore) {
		states[st]++
	}
	if len(states) > 0 {
		c.outcome += fmt.Sprintf(" (left before rm: %v)", states)
	}
	faultReport.mu.Lock()
	faultReport.cases = append(faultReport.cases, c)
	faultReport.mu.Unlock()
}

// clearAll is what a user does after a disaster: rm -f everything ps -a
// lists, then system prune --volumes.
func (s *soak) clearAll() {
	j := s.j
	if ids := strings.Fields(j.ok("ps", "-aq", "--no-trunc")); len(ids) > 0 {
		if _, errs, code := j.run(append([]string{"rm", "-f", "-v"}, ids...)...); code != 0 {
			s.t.Errorf("rm -f of what ps -a lists: exit %d %s", code, errs)
		}
	}
	// --volumes: anonymous volumes of containers whose config was lost
	// (docker's meaning since 23.0; named volumes stay).
	if _, errs, code := j.run("system", "prune", "-f", "--volumes"); code != 0 {
		s.t.Errorf("system prune: exit %d %s", code, errs)
	}
	if out := j.ok("ps", "-aq"); out != "" {
		s.t.Errorf("ps -a after rm -f and system prune: %s", out)
	}
}

// psLies compares ps -a with the processes: a running container's pid
// lives; an exited one has no process left in its cgroup (a dead one's
// records are damaged: inspect says which, and nothing is claimed); every
// container cgroup with processes belongs to a container ps -a lists.
func (s *soak) psLies() []string {
	var lies []string
	listed := map[string]bool{}
	out := s.j.ok("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.State}}")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		id, state := f[0], f[1]
		listed[id] = true
		procs := cgroupProcs(id)
		switch state {
		case "running":
			pid, _ := strconv.Atoi(s.j.inspect(id, "{{.State.Pid}}"))
			if pid <= 0 || !alive(pid) {
				// It may have exited between ps and inspect.
				if st := s.j.inspect(id, "{{.State.Status}}"); st == "running" {
					lies = append(lies, fmt.Sprintf("%s running, but its pid %d is gone", id[:12], pid))
				}
			}
		case "exited":
			if len(procs) > 0 {
				lies = append(lies, fmt.Sprintf("%s %s (%s), but processes %s run in its cgroup", id[:12], state,
					s.j.inspect(id, "{{.State.ExitCode}} {{.State.Error}}"), describeProcs(procs)))
			}
		}
	}
	for _, cg := range dirNames(cgroupPath("pids")) {
		if len(cg) == 64 && !listed[cg] && len(cgroupProcs(cg)) > 0 {
			lies = append(lies, fmt.Sprintf("processes %v run in the cgroup of %s, which ps -a does not list", cgroupProcs(cg), cg[:12]))
		}
	}
	return lies
}

func describeProcs(pids []int) string {
	var out []string
	for _, p := range pids {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		out = append(out, fmt.Sprintf("%d %q", p, strings.ReplaceAll(string(b), "\x00", " ")))
	}
	return strings.Join(out, ", ")
}

// cgroupProcs lists the live processes in a container's pids cgroup.
func cgroupProcs(id string) []int {
	b, _ := os.ReadFile(cgroupPath("pids", id, "cgroup.procs"))
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if p, _ := strconv.Atoi(f); p > 0 && alive(p) {
			out = append(out, p)
		}
	}
	return out
}

// testSoakDiskFull: the store lies on a 64 MiB ext4 filesystem (a loop
// device); with containers running, the filesystem is filled to ENOSPC
// and the cycles run on it. Every command may fail, with an error; after
// the filler is removed ps -a is truthful and rm -f / prune clear all, and
// containers run again.
func testSoakDiskFull(t *testing.T) {
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("no mkfs.ext4 (e2fsprogs)")
	}
	dir := t.TempDir()
	img, mnt := filepath.Join(dir, "store.img"), filepath.Join(dir, "mnt")
	os.MkdirAll(mnt, 0o700)
	if out, err := exec.Command("truncate", "-s", "64M", img).CombinedOutput(); err != nil {
		t.Fatalf("truncate: %v %s", err, out)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-m", "0", "-F", img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v %s", err, out)
	}
	loop, err := exec.Command("losetup", "--find", "--show", img).Output()
	if err != nil {
		t.Skipf("no loop device (losetup): %v", err)
	}
	dev := strings.TrimSpace(string(loop))
	t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
	if out, err := exec.Command("mount", dev, mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount %s: %v %s", dev, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount the store's filesystem: %v %s", err, out)
		}
	})
	j := &jinnEnv{t: t, root: filepath.Join(mnt, "root"), runroot: filepath.Join(dir, "run"), runtime: "jinn-runtime"}
	trackRoot(j.root)
	t.Cleanup(j.cleanup)
	s := newSoakOn(t, j)
	s.faulty = true
	// Containers that live through the full disk, one writing its log.
	var running []string
	for i := 0; i < 3; i++ {
		args := []string{"run", "-d", "-p", "80", "-v", "/data", "busybox", "sh", "-c", "while :; do echo line $$ $(date); sleep 0.05; done"}
		if i > 0 {
			args = []string{"run", "-d", "--restart", "always", "busybox", "sleep", "600"}
		}
		id := strings.TrimSpace(j.ok(args...))
		s.w.saw(id)
		running = append(running, id)
	}
	// Rounds of cycles with less and less room: each write of a cycle
	// meets ENOSPC somewhere else; the last round has none at all.
	filler := filepath.Join(mnt, "filler")
	n, _ := soakCycles()
	rounds := []int64{1 << 20, 256 << 10, 64 << 10, 16 << 10, 4 << 10, 0}
	var lies []string
	for _, leave := range rounds {
		fillDisk(t, mnt, filler, leave)
		s.cycles(max(8, n/len(rounds)), 8)
		lies = append(lies, s.psLies()...)
	}
	if err := os.WriteFile(filepath.Join(mnt, "probe"), []byte("x"), 0o600); err == nil {
		t.Fatal("the store's filesystem is not full")
	}
	// What a user does on a full disk: look, stop, restart, remove.
	j.run("ps", "-a")
	j.run("logs", running[0])
	j.run("stop", "-t", "1", running[1])
	j.run("restart", "-t", "1", running[2])
	_, errs, code := j.run("run", "--rm", "busybox", "true")
	if code == 0 {
		t.Logf("run --rm succeeded on a full disk")
	} else if strings.Count(strings.TrimSpace(errs), "\n") > 2 {
		t.Errorf("run on a full disk: more than a one-line error: %q", errs)
	}
	lies = append(lies, s.psLies()...)
	for _, l := range lies {
		t.Errorf("ps -a on a full disk is not truthful: %s", l)
	}
	failed := s.failed.Load()
	files, _ := filepath.Glob(filler + "*")
	for _, f := range files {
		os.Remove(f)
	}
	c := faultCase{name: "disk full", fault: "store on a 64 MiB ext4 filled to 1 MiB, 256, 64, 16, 4, 0 KiB free; 3 containers running", cycles: int(s.rmDone.Load() + s.dDone.Load())}
	s.judge(c)
	faultReport.mu.Lock()
	last := &faultReport.cases[len(faultReport.cases)-1]
	last.failed, last.lies = failed, last.lies+len(lies)
	faultReport.mu.Unlock()
	// The store works again.
	if out := j.ok("run", "--rm", "busybox", "echo", "works-again"); !strings.Contains(out, "works-again") {
		t.Errorf("after the disk was freed: %q", out)
	}
}

// fillDisk leaves about leave bytes free on the filesystem at mnt.
func fillDisk(t *testing.T, mnt, filler string, leave int64) {
	files, _ := filepath.Glob(filler + "*")
	for _, f := range files {
		os.Remove(f)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	if size := int64(st.Bavail)*st.Bsize - leave; size > 0 {
		f, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		unix.Fallocate(int(f.Fd()), 0, 0, size)
		f.Close()
	}
	for i := 0; leave == 0 && i < 10000; i++ { // the last blocks
		if os.WriteFile(fmt.Sprintf("%s.%d", filler, i), make([]byte, 1024), 0o600) != nil {
			break
		}
	}
}

// testSoakIPAMFull: a user network with a /29 (5 addresses for
// containers): 12 containers start on it 8 at a time, 5 get an address,
// the others fail with a clear error and leave nothing half-made; run
// --rm on the full pool fails the same way; after rm -f the pool is whole.
func testSoakIPAMFull(t *testing.T, n int) {
	s := newSoak(t)
	s.faulty = true
	j := s.j
	subnet := fmt.Sprintf("10.%d.%d.0/29", 200+rand.Intn(50), rand.Intn(250))
	j.ok("network", "create", "--subnet", subnet, "tiny")
	s.w.network("tiny")
	var mu sync.Mutex
	var ok, refused []string
	var wg sync.WaitGroup
	sem := make(chan bool, 8)
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- true
			defer func() { <-sem }()
			out, errs, code := s.jinn("run", "-d", "--network", "tiny", "-p", "80", "busybox", "sleep", "600")
			s.w.saw(strings.TrimSpace(out))
			mu.Lock()
			defer mu.Unlock()
			if code == 0 {
				ok = append(ok, strings.TrimSpace(out))
			} else {
				refused = append(refused, strings.TrimSpace(errs))
			}
		}(i)
	}
	wg.Wait()
	if len(ok) != 5 {
		t.Errorf("%d containers got an address on a /29, want 5", len(ok))
	}
	for _, e := range refused {
		if strings.Count(e, "\n") > 0 || !strings.Contains(strings.ToLower(e), "address") {
			t.Errorf("a full pool: error %q, want one line naming the address pool", e)
		}
	}
	if _, errs, code := j.run("run", "--rm", "--network", "tiny", "busybox", "true"); code != 125 {
		t.Errorf("run --rm on a full pool: exit %d %q, want 125", code, errs)
	}
	if got := len(strings.Fields(j.ok("ps", "-aq"))); got != len(ok)+len(refused) && got != len(ok) {
		t.Errorf("ps -a lists %d containers, %d started and %d refused", got, len(ok), len(refused))
	}
	s.cycles(n/2, 8)
	c := faultCase{name: "IPAM pool full", fault: "user network " + subnet + " (5 addresses), 12 containers", cycles: n / 2}
	j.run(append([]string{"rm", "-f"}, ok...)...)
	// The pool is whole again.
	for i := 0; i < 5; i++ {
		id := strings.TrimSpace(j.ok("run", "-d", "--network", "tiny", "busybox", "sleep", "600"))
		s.w.saw(id)
	}
	s.judge(c)
	j.run("network", "rm", "tiny")
}

// testSoakDamaged: containers, running and stopped, whose records are
// damaged in every way (each record kind, each damage), among cycles.
func testSoakDamaged(t *testing.T) {
	s := newSoak(t)
	s.faulty = true
	j := s.j
	n := 0
	for _, kind := range recordKinds {
		if kind.name == "snapshot-index" {
			continue // one index for all: tried once, below
		}
		for _, d := range damages {
			for _, running := range []bool{true, false} {
				id := strings.TrimSpace(j.ok("run", "-d", "-p", "80", "-v", "/data", "busybox", "sleep", "600"))
				s.w.saw(id)
				if !running {
					j.ok("stop", "-t", "0", id)
				}
				p := kind.path(j, id)
				if _, err := os.Stat(p); err != nil {
					continue // a stopped container has no runtime state
				}
				d.do(p)
				n++
			}
		}
	}
	id := strings.TrimSpace(j.ok("run", "-d", "busybox", "sleep", "600"))
	s.w.saw(id)
	damages[2].do(filepath.Join(j.root, "snapshots", "meta.json"))
	// What commands killed midway leave: a volume being made (its maker
	// gone), a container being removed, with its name still claimed.
	// A create's pid file names a process long gone (above pid_max); the
	// empty cgroup is a container's whose remove died after the
	// runtime's state went.
	os.MkdirAll(filepath.Join(j.root, "volumes", ".new-999999999-half", "_data"), 0o755)
	os.MkdirAll(filepath.Join(j.root, "volumes", ".removing-gone", "_data"), 0o755)
	half, made, cg := strings.Repeat("ab", 32), strings.Repeat("cd", 32), strings.Repeat("ef", 32)
	for _, d := range []string{".removing-" + half, ".new-" + made} {
		os.MkdirAll(filepath.Join(j.root, "containers", d), 0o700)
		os.WriteFile(filepath.Join(j.root, "containers", d, "config.json"), []byte(`{"Id":"x"}`), 0o600)
	}
	os.WriteFile(filepath.Join(j.root, "containers", ".new-"+made, "creator"), []byte("999999999"), 0o600)
	os.Symlink(half, filepath.Join(j.root, "names", "half-removed"))
	os.WriteFile(filepath.Join(j.root, "network", "containers", made+".json.tmp999999999-1"), []byte("{"), 0o600)
	os.MkdirAll(filepath.Join(j.root, "containers", ".new-"+half+".999999999"), 0o700)
	os.Symlink(made, filepath.Join(j.root, "names", "half-made"))
	for _, h := range []string{"pids", "memory"} {
		if err := os.MkdirAll(cgroupPath(h, cg), 0o755); err != nil {
			t.Fatalf("plant an orphan cgroup: %v", err)
		}
	}
	s.cycles(20, 8)
	s.judge(faultCase{name: "damaged records", fault: fmt.Sprintf("%d records of running and stopped containers damaged (empty, truncated, garbage, missing)", n+1), cycles: 20})
}

func syscallKill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
