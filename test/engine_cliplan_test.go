package test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// planEnv is a store with a plan directory and a trace of its own: which
// path served each run (internal/cliplan, cmd/jinn/cliplan.c).
type planEnv struct {
	*jinnEnv
	dir, trace string
}

func newPlanEnv(t *testing.T) *planEnv {
	t.Helper()
	d := t.TempDir()
	p := &planEnv{jinnEnv: newJinn(t, ""), dir: filepath.Join(d, "plans"), trace: filepath.Join(d, "trace")}
	if err := os.Mkdir(p.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *planEnv) pcmd(args ...string) *exec.Cmd {
	c := p.cmd(args...)
	c.Env = append(os.Environ(), "JINN_CLI_PLAN_DIR="+p.dir, "JINN_CLI_PLAN_TRACE="+p.trace)
	return c
}

// prun runs jinn with the plans on: stdout, stderr, exit code, and which
// path ran ("go" or "c").
func (p *planEnv) prun(args ...string) (string, string, int, string) {
	p.t.Helper()
	before, _ := os.ReadFile(p.trace)
	c := p.pcmd(args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	code := 0
	if err := c.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			p.t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	after, _ := os.ReadFile(p.trace)
	return out.String(), errb.String(), code, pathOf(string(after[len(before):]))
}

func pathOf(trace string) string {
	switch {
	case strings.Contains(trace, "c-run exit"):
		return "c"
	case strings.Contains(trace, "go-run"):
		return "go"
	}
	return "go (no plan)"
}

// assertEmpty checks that no run left anything in the store.
func (p *planEnv) assertEmpty() {
	p.t.Helper()
	for _, d := range []string{"root/containers", "root/names", "root/snapshots/active", "run/containers", "run/netns"} {
		dir := filepath.Join(filepath.Dir(p.root), d)
		if ents, _ := os.ReadDir(dir); len(ents) > 0 {
			p.t.Errorf("%s left: %v", d, ents)
		}
	}
	if ents, _ := filepath.Glob(filepath.Join(p.runroot, "runtime", "*", "*")); len(ents) > 0 {
		p.t.Errorf("runtime state left: %v", ents)
	}
	ents, _ := os.ReadDir(filepath.Join(p.root, "snapshots"))
	for _, e := range ents {
		if e.IsDir() && e.Name() != "active" && e.Name() != "1" && !isLayer(p, e.Name()) {
			p.t.Errorf("snapshot directory left: %s", e.Name())
		}
	}
}

// isLayer says whether snapshot n is one of the image's layers (its
// number is at most the index's).
func isLayer(p *planEnv, n string) bool {
	b, _ := os.ReadFile(filepath.Join(p.root, "snapshots", "meta.json"))
	return strings.Contains(string(b), `"id":`+n+`,`) || strings.Contains(string(b), `"id":`+n+`}`)
}

// The same `run --rm --network none` four times: the first two Go (the
// plan written, then proved), the next C; the same output, exit code and
// events; nothing left.
func TestCLIPlanRun(t *testing.T) {
	p := newPlanEnv(t)
	img := p.image()
	script := `echo out; echo err >&2; head -c 300000 /dev/zero | tr '\0' x; hostname | wc -c; exit 3`
	args := append(append([]string{"run", "--rm", "--network", "none"}, img...), "sh", "-c", script)
	var first string
	want := []string{"go", "go", "c", "c"}
	for i, w := range want {
		since := time.Now()
		out, errs, code, path := p.prun(args...)
		if path != w {
			t.Fatalf("run %d: %s path, want %s", i, path, w)
		}
		if code != 3 || errs != "err\n" || len(out) != 4+300000+3 {
			t.Fatalf("run %d (%s): exit %d, stderr %q, %d bytes out", i, path, code, errs, len(out))
		}
		if first == "" {
			first = out
		} else if out != first {
			t.Fatalf("run %d (%s): other output", i, path)
		}
		p.assertEmpty()
		ev := p.ok("events", "--since", unixArg(since), "--until", unixArg(time.Now()), "--format", "{{.Action}}")
		if got := strings.Join(strings.Fields(ev), " "); got != "create start die destroy" {
			t.Errorf("run %d (%s): events %q", i, path, got)
		}
	}
	// An exit code of 0 and 137 (killed from outside) too.
	okArgs := append(append([]string{"run", "--rm", "--network", "none"}, img...), "true")
	for i, w := range []string{"go", "go", "c"} {
		if _, errs, code, path := p.prun(okArgs...); path != w || code != 0 || errs != "" {
			t.Fatalf("true %d: %s path, exit %d, %q", i, path, code, errs)
		}
	}
}

// A C run seen from other commands while it runs: ps, inspect, exec,
// kill; and sig-proxy: SIGTERM to the CLI reaches the container.
func TestCLIPlanWhileRunning(t *testing.T) {
	p := newPlanEnv(t)
	img := p.image()
	args := append(append([]string{"run", "--rm", "--network", "none", "--name", "planned"}, img...), "sleep", "30")
	run := func(stop func(c *exec.Cmd)) (int, string) {
		before, _ := os.ReadFile(p.trace)
		c := p.pcmd(args...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the container to run", func() bool {
			out, _, _ := p.run("inspect", "-f", "{{.State.Running}}", "planned")
			return strings.TrimSpace(out) == "true"
		})
		stop(c)
		err := c.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		after, _ := os.ReadFile(p.trace)
		return code, pathOf(string(after[len(before):]))
	}
	kill := func(c *exec.Cmd) { p.ok("kill", "planned") }
	for i, w := range []string{"go", "go", "c"} {
		code, path := run(kill)
		if path != w || code != 137 {
			t.Fatalf("run %d: %s path, exit %d (want %s, 137)", i, path, code, w)
		}
		p.assertEmpty()
	}
	code, path := run(func(c *exec.Cmd) {
		if out := p.ok("ps", "--format", "{{.Names}} {{.Status}}"); !strings.HasPrefix(out, "planned Up") {
			t.Errorf("ps: %q", out)
		}
		if out := p.ok("exec", "planned", "echo", "hi"); out != "hi\n" {
			t.Errorf("exec: %q", out)
		}
		p.ok("kill", "planned")
	})
	if path != "c" || code != 137 {
		t.Fatalf("ps, exec, kill: %s path, exit %d (want c, 137)", path, code)
	}
	p.assertEmpty()
	// sig-proxy: SIGTERM and SIGINT to the CLI reach the container (the
	// trap's exit code), from Go and from C alike.
	args = append(append([]string{"run", "--rm", "--network", "none", "--name", "planned"}, img...),
		"sh", "-c", `trap "exit 7" TERM; trap "exit 8" INT; sleep 30 & wait`)
	dir := p.dir
	for i, w := range []string{"go", "go", "c", "c", "off", "off"} {
		sig, want := syscall.SIGTERM, 7
		if i%2 == 1 {
			sig, want = syscall.SIGINT, 8
		}
		stop := func(c *exec.Cmd) {
			time.Sleep(100 * time.Millisecond) // the trap set
			c.Process.Signal(sig)
		}
		if w == "go" {
			// The plan's runs: a signal passed on makes no plan.
			stop, want = func(*exec.Cmd) { p.ok("kill", "planned") }, 137
		}
		if w == "off" {
			p.dir = "" // plans off: Go's sig-proxy, for comparison
			w = "go (no plan)"
		}
		code, path := run(stop)
		if path != w || code != want {
			t.Fatalf("sig-proxy %d (%v): %s path, exit %d (want %s, %d)", i, sig, path, code, w, want)
		}
		p.assertEmpty()
	}
	p.dir = dir
	// The name taken: the C run undoes its staging and Go says so.
	p.ok("create", "--name", "planned", img[0], "true")
	_, errs, code, path := p.prun(args...)
	if code != 125 || !strings.Contains(errs, `The container name "/planned" is already in use`) || path != "go" {
		t.Fatalf("name taken: exit %d, %s path, %q", code, path, errs)
	}
	if b, _ := os.ReadFile(p.trace); !strings.Contains(string(b), "c-run miss: name taken") {
		t.Errorf("trace: no C miss on the taken name:\n%s", b)
	}
	p.ok("rm", "planned")
	p.assertEmpty()
}

// The key: another binary, an image tag moved, another environment, a
// plan directory or file others may write: each run is Go's.
func TestCLIPlanKey(t *testing.T) {
	p := newPlanEnv(t)
	img := p.image()
	args := append(append([]string{"run", "--rm", "--network", "none"}, img...), "true")
	prove := func() {
		t.Helper()
		for i := 0; i < 3; i++ {
			p.prun(args...)
		}
		if _, _, _, path := p.prun(args...); path != "c" {
			b, _ := os.ReadFile(p.trace)
			t.Fatalf("not served from C after three runs: %s\n%s", path, grepTrace(b))
		}
	}
	expectGo := func(what string) {
		t.Helper()
		if _, errs, code, path := p.prun(args...); path == "c" || code != 0 {
			t.Fatalf("%s: %s path, exit %d %q", what, path, code, errs)
		}
	}
	prove()
	// The image's tag moved (images.json changed).
	p.ok("tag", img[0], "other:tag")
	expectGo("after a tag")
	prove()
	// Another binary: a copy of jinn (another inode).
	other := t.TempDir()
	for _, b := range []string{"jinn", "jinn-runtime", "jinn-monitor", "jinn-monitor-c", "jinn-init"} {
		if data, err := os.ReadFile(bin(b)); err == nil {
			os.WriteFile(filepath.Join(other, b), data, 0o755)
		}
	}
	p.bin = other
	expectGo("another binary")
	p.bin = ""
	// The plan directory writable by others, a plan file not root's.
	os.Chmod(p.dir, 0o777)
	expectGo("a plan directory others may write")
	os.Chmod(p.dir, 0o700)
	prove()
	plans, _ := filepath.Glob(filepath.Join(p.dir, "run-*"))
	for _, f := range plans {
		os.Chown(f, 1000, 1000)
	}
	expectGo("a plan file not root's")
	if b, _ := os.ReadFile(p.trace); !strings.Contains(string(b), "plan dir not root's alone") || !strings.Contains(string(b), "plan file not root's alone") {
		t.Errorf("trace does not say why:\n%s", b)
	}
	p.assertEmpty()
}

// Forms the plan does not cover run through Go as before and leave no
// plan.
func TestCLIPlanIneligible(t *testing.T) {
	p := newPlanEnv(t)
	img := p.image()
	for _, flags := range [][]string{
		{"run", "--rm"},              // the bridge
		{"run", "--network", "none"}, // no --rm
		{"run", "--rm", "--network", "none", "-i"},
		// One refused form per kind: a flag that reads host state the
		// key does not hold, a variable the key leaves out, an option
		// with a value (a FILE form), a host binary, files.
		{"run", "--rm", "--network", "none", "--cpus", "1"},
		{"run", "--rm", "--network", "none", "-e", "_"},
		{"run", "--rm", "--network", "none", "--security-opt", "seccomp=unconfined"},
		{"run", "--rm", "--network", "none", "--init"},
		{"run", "--rm", "--network", "none", "--env-file", "/dev/null"},
		{"run", "--rm", "--network", "none", "-v", "/tmp:/mnt"},
	} {
		for i := 0; i < 3; i++ {
			a := append(append(append([]string{}, flags...), img...), "true")
			_, errs, code, path := p.prun(a...)
			if code != 0 || path != "go (no plan)" {
				t.Fatalf("%v: exit %d, %s path: %s", flags, code, path, errs)
			}
		}
		if flags[1] != "--rm" {
			p.ok("container", "prune", "-f")
		}
	}
	// An image whose VOLUME (an anonymous volume) or HEALTHCHECK the
	// plan's seams do not record: Go's, no plan.
	ctx := t.TempDir()
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM "+img[0]+"\nVOLUME /data\n"), 0o644)
	p.ok("build", "-q", "-t", "withvol", ctx)
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM "+img[0]+"\nHEALTHCHECK CMD true\n"), 0o644)
	p.ok("build", "-q", "-t", "withhealth", ctx)
	for _, im := range []string{"withvol", "withhealth"} {
		for i := 0; i < 3; i++ {
			_, errs, code, path := p.prun("run", "--rm", "--network", "none", im, "true")
			if code != 0 || path != "go" {
				t.Fatalf("%s: exit %d, %s path: %s", im, code, path, errs)
			}
		}
	}
	if b, _ := os.ReadFile(p.trace); !strings.Contains(string(b), "plan=volumes or mounts") || !strings.Contains(string(b), "plan=a health check") {
		t.Errorf("trace does not say why:\n%s", grepTrace(b))
	}
	if plans, _ := filepath.Glob(filepath.Join(p.dir, "run-*")); len(plans) != 0 {
		t.Errorf("plans written: %v", plans)
	}
}

// The value flags a plan admits (runPlanFlags): for each, the third run
// is C's and prints what the flag changed as the Go runs did.
func TestCLIPlanFlags(t *testing.T) {
	p := newPlanEnv(t)
	img := p.image()
	t.Setenv("FR3_FROM_ENV", "from-env")
	hostHosts, _ := os.ReadFile("/etc/hosts")
	hostLinks := ""
	links, _ := os.ReadDir("/sys/class/net")
	for _, l := range links {
		hostLinks += l.Name() + " "
	}
	cgMem := `cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo none`
	for _, tc := range []struct {
		flags  []string
		script string
		want   string // in the output ("" for any)
	}{
		{[]string{"-e", "A=1", "--env", "FR3_FROM_ENV"}, `echo "$A $FR3_FROM_ENV"`, "1 from-env\n"},
		{[]string{"-w", "/tmp"}, `pwd`, "/tmp\n"},
		{[]string{"-u", "1000:100"}, `id -u; id -g`, "1000\n100\n"},
		{[]string{"--entrypoint", "echo"}, "", "sh -c\n"},
		{[]string{"--hostname", "box", "--name", "boxed", "--add-host", "h1:10.1.2.3", "--add-host", "gw:host-gateway"}, `hostname; cat /etc/hostname; grep -E 'h1|gw|box' /etc/hosts`, "box\nbox\n10.1.2.3\th1\n127.0.1.1\tbox boxed\n"},
		{[]string{"--memory", "64m", "--pids-limit", "50"}, cgMem, ""},
		{[]string{"--read-only", "--tmpfs", "/scratch"}, `touch /x 2>/dev/null || echo ro; touch /scratch/a && echo rw; grep -c ' /scratch tmpfs' /proc/mounts`, "ro\nrw\n1\n"},
		{[]string{"--cap-drop", "ALL", "--cap-add", "CHOWN", "--security-opt", "no-new-privileges"}, `grep -E 'CapEff|NoNewPrivs' /proc/self/status`, "CapEff:\t0000000000000001\nNoNewPrivs:\t1\n"},
		{[]string{"--ulimit", "nofile=100:200", "--dns", "192.0.2.53", "--dns-search", "example.test"}, `ulimit -n; cat /etc/resolv.conf`, "100\n"},
		{[]string{"-l", "k=v", "--stop-signal", "SIGINT", "--stop-timeout", "3", "--log-driver", "json-file", "--log-opt", "max-size=1m"}, `echo labelled`, "labelled\n"},
		{[]string{"--network", "host", "--add-host", "gw:host-gateway"}, `cat /etc/hosts; ls /sys/class/net | tr '\n' ' '`, string(hostHosts)},
		{[]string{"--network", "host"}, `ls /sys/class/net | tr '\n' ' '`, hostLinks},
	} {
		net := []string{"--network", "none"}
		for _, f := range tc.flags {
			if f == "--network" {
				net = nil
			}
		}
		a := append(append(append([]string{"run", "--rm"}, net...), tc.flags...), img...)
		if tc.script != "" {
			a = append(a, "sh", "-c", tc.script)
		} else {
			a = append(a, "sh", "-c")
		}
		var first string
		for i, w := range []string{"go", "go", "c"} {
			out, errs, code, path := p.prun(a...)
			if path != w || code != 0 {
				t.Fatalf("%v run %d: %s path (want %s), exit %d: %s%s", tc.flags, i, path, w, code, errs, grepTrace(mustRead(p.trace)))
			}
			if i == 0 {
				first = out
				if !strings.Contains(out, tc.want) {
					t.Errorf("%v: output %q, want %q in it", tc.flags, out, tc.want)
				}
			} else if out != first {
				t.Errorf("%v run %d (%s): output %q, Go's %q", tc.flags, i, path, out, first)
			}
		}
		if tc.script == cgMem {
			if strings.Contains(first, "none") {
				t.Logf("no memory controller to read: compared the outputs only")
			} else if !strings.Contains(first, "67108864") {
				t.Errorf("memory limit: %q", first)
			}
		}
		p.assertEmpty()
	}
}

func mustRead(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

// kill -9 of C runs at many points: what each leaves, rm -f, prune and
// rmi remove whole (no container, snapshot, link, mount, netns file or
// cgroup is left).
func TestCLIPlanKill9(t *testing.T) {
	p := newPlanEnv(t)
	img := p.image()
	args := append(append([]string{"run", "--rm", "--network", "none"}, img...), "true")
	for i := 0; i < 3; i++ {
		p.prun(args...)
	}
	if _, _, _, path := p.prun(args...); path != "c" {
		t.Fatalf("not served from C: %s", path)
	}
	for _, us := range []int{0, 200, 400, 600, 800, 1000, 1300, 1600, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 12000, 14000, 16000, 18000, 20000, 23000, 26000, 30000, 35000, 40000, 50000} {
		c := p.pcmd(args...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(us) * time.Microsecond)
		c.Process.Kill()
		c.Wait()
	}
	// The monitors of killed runs finish on their own (their client
	// gone); then rm -f and prune take what is left.
	time.Sleep(500 * time.Millisecond)
	left, _ := os.ReadDir(filepath.Join(p.root, "containers"))
	t.Logf("left by the killed runs: %d container directories", len(left))
	removeAll(t, p.jinnEnv)
	p.ok("system", "prune", "-f")
	if ents, _ := os.ReadDir(filepath.Join(p.runroot, "netns")); len(ents) > 0 {
		t.Errorf("netns files left: %v", ents)
	}
	p.assertEmpty()
	assertSnapshotsGone(t, p.jinnEnv, img[0])
}

// grepTrace is the trace's lines of outcome, without the ops.
func grepTrace(b []byte) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "go-run") || strings.HasPrefix(l, "c-run miss") || strings.HasPrefix(l, "c-run serve") || strings.HasPrefix(l, "c-run fail") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The monitor of a C run killed: the run says so (125) and the container
// goes, as a Go run's does.
func TestCLIPlanMonitorDies(t *testing.T) {
	p := newPlanEnv(t)
	img := p.image()
	args := append(append([]string{"run", "--rm", "--network", "none", "--name", "mondies"}, img...), "sleep", "30")
	for i, w := range []string{"go", "go", "c"} {
		before, _ := os.ReadFile(p.trace)
		c := p.pcmd(args...)
		var errb bytes.Buffer
		c.Stderr = &errb
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		var id string
		waitFor(t, 10*time.Second, "the container to run", func() bool {
			out, _, _ := p.run("inspect", "-f", "{{.State.Running}} {{.ID}}", "mondies")
			f := strings.Fields(out)
			if len(f) == 2 && f[0] == "true" {
				id = f[1]
			}
			return id != ""
		})
		if i < 2 {
			p.ok("kill", "mondies") // the plan's runs end as runs do
		} else if pid := monitorPid(t, id); pid == 0 {
			t.Fatal("no monitor")
		} else {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		err := c.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		after, _ := os.ReadFile(p.trace)
		path := pathOf(string(after[len(before):]))
		if i == 2 && (code != 125 || !strings.Contains(errb.String(), "its monitor died") || !strings.Contains(string(after[len(before):]), "c-run fail")) {
			t.Fatalf("monitor killed: exit %d, %q\n%s", code, errb.String(), after)
		}
		if i < 2 && (path != w || code != 137) {
			t.Fatalf("run %d: %s path, exit %d\n%s", i, path, code, after)
		}
		p.assertEmpty()
	}
}

// What the caller of a C run left open reaches neither the monitor nor
// the container (main.go's CloseRange, done by the C run too).
func TestCLIPlanNoFdLeak(t *testing.T) {
	p := newPlanEnv(t)
	img := p.image()
	args := append(append([]string{"run", "--rm", "--network", "none", "--name", "fds"}, img...), "sh", "-c", "ls /proc/self/fd; sleep 30")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var st syscall.Stat_t
	syscall.Fstat(int(r.Fd()), &st)
	leak := "pipe:[" + strconv.FormatUint(st.Ino, 10) + "]"
	for i, want := range []string{"go", "go", "c"} {
		before, _ := os.ReadFile(p.trace)
		c := p.pcmd(args...)
		var out bytes.Buffer
		c.Stdout = &out
		c.ExtraFiles = []*os.File{r, w}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		var id string
		waitFor(t, 10*time.Second, "the container to run", func() bool {
			o, _, _ := p.run("inspect", "-f", "{{.State.Running}} {{.ID}}", "fds")
			if f := strings.Fields(o); len(f) == 2 && f[0] == "true" {
				id = f[1]
			}
			return id != ""
		})
		mon := monitorPid(t, id)
		fds, _ := os.ReadDir("/proc/" + itoa(mon) + "/fd")
		for _, f := range fds {
			if l, _ := os.Readlink("/proc/" + itoa(mon) + "/fd/" + f.Name()); l == leak {
				t.Errorf("run %d: the caller's pipe is the monitor's fd %s", i, f.Name())
			}
		}
		p.ok("kill", "fds")
		c.Wait()
		after, _ := os.ReadFile(p.trace)
		if path := pathOf(string(after[len(before):])); path != want {
			t.Fatalf("run %d: %s path", i, path)
		}
		if got := strings.Fields(out.String()); len(got) != 4 { // 0 1 2 and ls's own
			t.Errorf("run %d: the container's fds: %v", i, got)
		}
	}
}

// C runs side by side (and beside a Go run): each its own id, name and
// snapshot under the snapshot lock; all exit 0; nothing left.
func TestCLIPlanParallel(t *testing.T) {
	p := newPlanEnv(t)
	img := p.image()
	args := append(append([]string{"run", "--rm", "--network", "none"}, img...), "sh", "-c", "hostname")
	for i := 0; i < 2; i++ {
		p.prun(args...)
	}
	type res struct {
		out  string
		code int
	}
	ch := make(chan res, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			a := args
			if i == 7 {
				a = append(append([]string{"run", "--rm", "--network", "none", "-e", "X=1"}, img...), "sh", "-c", "hostname")
			}
			c := p.pcmd(a...)
			var out bytes.Buffer
			c.Stdout = &out
			err := c.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			ch <- res{out.String(), code}
		}(i)
	}
	seen := map[string]bool{}
	for i := 0; i < 8; i++ {
		r := <-ch
		if r.code != 0 || len(r.out) != 13 || seen[r.out] {
			t.Errorf("run: exit %d, hostname %q (seen before: %v)", r.code, r.out, seen[r.out])
		}
		seen[r.out] = true
	}
	if b, _ := os.ReadFile(p.trace); strings.Count(string(b), "c-run exit 0") < 5 {
		t.Errorf("few C runs:\n%s", grepTrace(b))
	}
	p.assertEmpty()
}
