package test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// shimPidOf is the pid of the process that a container's init is the
// child of: its shim.
func shimPidOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func procName(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}

// TestCRIShim: what handler jinn-shim (containerd-shim-jinn-v2) does
// beyond the lifecycle tests, in one containerd (each start costs
// seconds of CI).
func TestCRIShim(t *testing.T) {
	var e *criEnv
	// After containerd stopped (cleanups run last-in first-out).
	t.Cleanup(func() {
		if e != nil {
			waitFor(t, 10*time.Second, "the spare shims to exit with containerd", func() bool { return len(e.spareShims(true)) == 0 })
		}
	})
	e = startCRI(t)
	e.crictlOK("pull", e.registry+"/e2e-test-images/busybox:1.29-2")
	outer := t
	for name, f := range map[string]func(*testing.T, *criEnv){"crash": criShimCrash, "fds": criShimFds, "io": criShimIO,
		"strays": criShimStrays, "pause": criShimPause, "badstart": criShimBadStart,
		"restart": criShimRestart, "ctr": criShimCtr, "release": criShimRelease, "spare": criShimSpare} {
		t.Run(name, func(t *testing.T) {
			e.t = t
			defer func() { e.t = outer }()
			f(t, e)
		})
	}
}

// criShimCrash: a jinn-shim killed with SIGKILL leaves nothing once
// containerd has run its cleanup (the shim binary's delete command): the
// pod's containers end, their rootfs mounts, cgroups and runtime state go.
func criShimCrash(t *testing.T, e *criEnv) {
	parent, pod, p := e.shimPod(t, "crash")
	c := e.sleeper(p, pod)
	pid := e.pid(c)
	shim := shimPidOf(t, pid)
	if n := procName(shim); n != "containerd-shim" { // comm is cut at 15 bytes
		t.Fatalf("container's parent %d is %q, not the shim", shim, n)
	}
	// One shim per pod: the sandbox's init is its child too.
	var sandbox map[string]any
	json.Unmarshal([]byte(e.crictlOK("inspectp", p)), &sandbox)
	info, _ := sandbox["info"].(map[string]any)
	if spid, _ := info["pid"].(float64); spid == 0 || shimPidOf(t, int(spid)) != shim {
		t.Errorf("the sandbox (pid %v) has another shim than its container (%d)", spid, shim)
	}
	addr, err := os.ReadFile(filepath.Join(e.dir, "state", "io.containerd.runtime.v2.task", "k8s.io", c, "address"))
	if err != nil {
		t.Fatal(err)
	}
	sock := strings.TrimPrefix(string(addr), "unix://")
	if err := syscall.Kill(shim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	e.waitState(c, "CONTAINER_EXITED", 20*time.Second)
	waitFor(t, 10*time.Second, "the container's init to end", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid))
		return err != nil
	})
	state := filepath.Join(e.dir, "runtime", "jinn-shim", "k8s.io")
	waitFor(t, 10*time.Second, "runtime state to go", func() bool {
		ents, _ := os.ReadDir(state)
		return len(ents) == 0
	})
	for _, d := range cgroupDirs(strings.TrimPrefix(parent, "/") + "/*") {
		t.Errorf("cgroup left: %s", d)
	}
	if _, err := os.Stat(sock); err == nil {
		t.Errorf("the dead shim's socket is left: %s", sock)
	}
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, c) || strings.Contains(l, p) && strings.Contains(l, "rootfs") {
			t.Errorf("mount left: %s", l)
		}
	}
	e.crictlOK("rm", c)
	e.crictl("stopp", p)
	e.crictlOK("rmp", p)
}

// criShimFds: no fd of the shim reaches a container's init or an exec:
// the init has exactly its stdio, an exec's only other fd is the one ls
// opens to list them.
func criShimFds(t *testing.T, e *criEnv) {
	_, pod, p := e.shimPod(t, "fds")
	c := e.sleeper(p, pod)
	e.waitState(c, "CONTAINER_RUNNING", 10*time.Second)
	fdDir := "/proc/" + strconv.Itoa(e.pid(c)) + "/fd"
	ents, err := os.ReadDir(fdDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ents {
		if n, _ := strconv.Atoi(d.Name()); n > 2 {
			target, _ := os.Readlink(filepath.Join(fdDir, d.Name()))
			t.Errorf("container init has fd %s → %s", d.Name(), target)
		}
	}
	out := e.crictlOK("exec", c, "ls", "-l", "/proc/self/fd/")
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || f[len(f)-2] != "->" {
			continue
		}
		if n, _ := strconv.Atoi(f[len(f)-3]); n > 2 && !strings.HasPrefix(f[len(f)-1], "/proc/") {
			t.Errorf("exec has fd %d → %s", n, f[len(f)-1])
		}
	}
	e.crictlOK("rmp", "-f", p)
}

// criShimIO: stdio through jinn-shim: a container with a terminal (its
// output reaches the log through the pty), exec with stdin and with a
// terminal, stats and a memory limit update.
func criShimIO(t *testing.T, e *criEnv) {
	_, pod, p := e.shimPod(t, "io")
	cfg := e.writeJSON("tty-ctr.json", map[string]any{
		"metadata": map[string]any{"name": "tty"},
		"image":    map[string]any{"image": e.registry + "/e2e-test-images/busybox:1.29-2"},
		"command":  []string{"sh", "-c", "tty; exec sleep 1000"},
		"log_path": "tty.log", "tty": true, "stdin": true,
	})
	c := e.crictlOK("create", p, cfg, pod)
	e.crictlOK("start", c)
	waitFor(t, 10*time.Second, "the tty in the log", func() bool {
		out, _ := e.crictl("logs", c)
		return strings.Contains(out, "/dev/pts/0")
	})
	cmd := exec.Command(criTool(t, "crictl"), "--config", e.crictlY, "exec", "-i", c, "sh", "-c", "cat; echo done")
	cmd.Stdin = strings.NewReader("from-stdin\n")
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "from-stdin\ndone\n" {
		t.Errorf("exec -i: %v: %q", err, out)
	}
	cmd = exec.Command(criTool(t, "crictl"), "--config", e.crictlY, "exec", "-it", c, "sh", "-c", "tty; sleep 0.5; stty size")
	master, slave := openPty(t)
	defer master.Close()
	// crictl passes its terminal's size on (ResizePty).
	unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 33, Col: 77})
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave // crictl wants a terminal for -t
	var ttyOut strings.Builder
	read := make(chan struct{})
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			ttyOut.Write(b[:n])
			if err != nil {
				close(read)
				return
			}
		}
	}()
	err := cmd.Run()
	slave.Close()
	master.SetReadDeadline(time.Now().Add(2 * time.Second))
	<-read
	if err != nil || !strings.Contains(ttyOut.String(), "/dev/pts/") || !strings.Contains(ttyOut.String(), "33 77") {
		t.Errorf("exec -it tty and its size: %v: %q", err, ttyOut.String())
	}
	if _, err := e.crictl("exec", c, "sh", "-c", "exit 3"); err == nil {
		t.Errorf("exec exit 3 succeeded")
	}
	e.crictlOK("update", "--memory", strconv.Itoa(96<<20), c)
	cg := procCgroups(t, e.pid(c))
	for k, path := range cg {
		if !strings.HasSuffix(k, ":memory") {
			continue
		}
		b, _ := os.ReadFile("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes")
		if strings.TrimSpace(string(b)) != strconv.Itoa(96<<20) {
			t.Errorf("memory limit after update: %q", b)
		}
	}
	out := e.crictlOK("stats", "-o", "json", c)
	if !strings.Contains(out, `"workingSetBytes"`) || !strings.Contains(out, `"usageCoreNanoSeconds"`) {
		t.Errorf("stats: %s", out)
	}
	e.crictlOK("rmp", "-f", p)
}

// openPty opens a pseudo-terminal pair.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// criShimStrays: in a pod sharing the host's PID namespace, an orphan of
// the container is reparented to the shim (a child subreaper), which
// reaps it once it exits; the container's own exits are still reported.
func criShimStrays(t *testing.T, e *criEnv) {
	top := "/kubepods-" + randHex(4)
	t.Cleanup(func() { removeCgroups(top) })
	pod := e.writeJSON("strays-pod.json", map[string]any{
		"metadata":      map[string]any{"name": "strays", "namespace": "jinn-test", "uid": randHex(8)},
		"log_directory": filepath.Join(e.dir, "logs", "strays"),
		"linux": map[string]any{"cgroup_parent": top + "/pod" + randHex(8),
			"security_context": map[string]any{"namespace_options": map[string]any{"pid": 2}}},
	})
	p := e.crictlOK("runp", "--runtime", "jinn-shim", pod)
	c := e.sleeper(p, pod)
	e.waitState(c, "CONTAINER_RUNNING", 10*time.Second)
	shim := shimPidOf(t, e.pid(c))
	// The subshell exits at once: its sleep becomes the shim's child.
	e.crictlOK("exec", c, "sh", "-c", "(sleep 1 &); exit 0")
	children := func() []string {
		var kids []string
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(shim) + "/task/*/children")
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			kids = append(kids, strings.Fields(string(b))...)
		}
		return kids
	}
	zombies := func() []string {
		var z []string
		for _, pid := range children() {
			st, _ := os.ReadFile("/proc/" + pid + "/stat")
			if i := strings.LastIndexByte(string(st), ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				z = append(z, pid)
			}
		}
		return z
	}
	if kids := children(); len(kids) < 3 { // pause, sleep 1000, sleep 1
		t.Errorf("the orphan is not the shim's child: children %v", kids)
	}
	time.Sleep(1500 * time.Millisecond)
	waitFor(t, 5*time.Second, "the shim to reap its stray", func() bool { return len(zombies()) == 0 })
	if out, err := e.crictl("exec", c, "sh", "-c", "exit 7"); err == nil || !strings.Contains(out, "exit code 7") {
		t.Errorf("exec's exit after reaping: %v %s", err, out)
	}
	e.crictlOK("rmp", "-f", p)
}

// criShimPause: pause and resume (not in crictl: through ctr, on the same
// task), the task's state in between, and checkpoint's clear refusal.
func criShimPause(t *testing.T, e *criEnv) {
	_, pod, p := e.shimPod(t, "pause")
	c := e.sleeper(p, pod)
	ctr := func(args ...string) (string, error) {
		out, err := exec.Command("ctr", append([]string{"--address", e.sock, "-n", "k8s.io", "tasks"}, args...)...).CombinedOutput()
		return string(out), err
	}
	status := func() string {
		out, _ := ctr("ls")
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[0] == c {
				return f[2]
			}
		}
		return "?"
	}
	if out, err := ctr("pause", c); err != nil {
		t.Fatalf("ctr tasks pause: %v: %s", err, out)
	}
	if st := status(); st != "PAUSED" {
		t.Errorf("after pause: %s", st)
	}
	if out, err := ctr("resume", c); err != nil {
		t.Fatalf("ctr tasks resume: %v: %s", err, out)
	}
	if st := status(); st != "RUNNING" {
		t.Errorf("after resume: %s", st)
	}
	// An exec's process carries its id (ctr tasks ps's INFO column).
	execDone := make(chan struct{})
	go func() { e.crictl("exec", c, "sleep", "2"); close(execDone) }()
	waitFor(t, 5*time.Second, "the exec in ps", func() bool {
		out, _ := ctr("ps", c)
		return strings.Count(out, "\n") >= 3 && strings.Contains(out, "ExecID")
	})
	<-execDone
	if out, err := ctr("checkpoint", c); err == nil || !strings.Contains(out, "not supported") {
		t.Errorf("checkpoint: %v: %s", err, out)
	}
	e.crictlOK("rmp", "-f", p)
}

// criShimBadStart: a container whose program does not exist fails to
// start with the runtime's reason, and leaves no runtime state, cgroup or
// rootfs mount behind.
func criShimBadStart(t *testing.T, e *criEnv) {
	parent, pod, p := e.shimPod(t, "badstart")
	c := e.crictlOK("create", p, e.ctrConfig("c1", []string{"/no/such/program"}, nil), pod)
	out, err := e.crictl("start", c)
	if err == nil || !strings.Contains(out, "/no/such/program") {
		t.Errorf("start of a missing program: %v: %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "runtime", "jinn-shim", "k8s.io", c)); err == nil {
		t.Errorf("runtime state left for %s", c)
	}
	for _, d := range cgroupDirs(strings.TrimPrefix(parent, "/") + "/" + c) {
		t.Errorf("cgroup left: %s", d)
	}
	b, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(b), c) {
		t.Errorf("a mount of %s is left", c)
	}
	e.crictlOK("rm", c)
	// The same for an exec in a running container, which goes on.
	c = e.crictlOK("create", p, e.ctrConfig("c2", []string{"sleep", "1000"}, nil), pod)
	e.crictlOK("start", c)
	if out, err := e.crictl("exec", c, "/no/such/exec"); err == nil || !strings.Contains(out, "/no/such/exec") {
		t.Errorf("exec of a missing program: %v: %s", err, out)
	}
	if out := e.crictlOK("exec", c, "echo", "still-here"); out != "still-here" {
		t.Errorf("exec after a failed one: %q", out)
	}
	e.crictlOK("rmp", "-f", p)
}

// criShimRestart: containerd restarts while a jinn-shim pod runs; it finds
// the shim again (the bundle's address file), and the container still
// execs, reports its exit (events reach the new containerd) and goes.
func criShimRestart(t *testing.T, e *criEnv) {
	_, pod, p := e.shimPod(t, "restart")
	c := e.sleeper(p, pod)
	e.stopContainerd()
	e.startContainerd(filepath.Join(e.dir, "containerd-"+randHex(4)+".log"))
	e.waitState(c, "CONTAINER_RUNNING", 10*time.Second)
	if out := e.crictlOK("exec", c, "echo", "after-restart"); out != "after-restart" {
		t.Errorf("exec after containerd's restart: %q", out)
	}
	e.crictlOK("stop", "-t", "1", c)
	e.waitState(c, "CONTAINER_EXITED", 10*time.Second)
	e.crictlOK("rm", c)
	e.crictlOK("rmp", "-f", p)
}

// criShimCtr: the shim without CRI, through ctr: a task of its own (no
// pod to group by), its output attached and its exit code, and --log-uri
// file:// (the container writes the file).
func criShimCtr(t *testing.T, e *criEnv) {
	image := e.registry + "/e2e-test-images/busybox:1.29-2"
	ctr := func(args ...string) (string, error) {
		out, err := exec.Command("ctr", append([]string{"--address", e.sock, "-n", "jinn-test"}, args...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := ctr("images", "pull", "--plain-http", image); err != nil {
		t.Fatalf("ctr pull: %v: %s", err, out)
	}
	run := []string{"run", "--rm", "--runtime", "io.containerd.jinn.v2", "--runtime-config-path", filepath.Join(e.dir, "jinn-shim.toml")}
	if out, err := ctr(append(run, image, "ctr-"+randHex(4), "echo", "hello-ctr")...); err != nil || strings.TrimSpace(out) != "hello-ctr" {
		t.Errorf("ctr run echo: %v: %q", err, out)
	}
	_, err := ctr(append(run, image, "ctr-"+randHex(4), "sh", "-c", "exit 3")...)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Errorf("ctr run exit 3: %v", err)
	}
	log := filepath.Join(e.dir, "ctr-out.log")
	if out, err := ctr(append(run, "--log-uri", "file://"+log, image, "ctr-"+randHex(4), "sh", "-c", "echo to-file; echo err-too >&2")...); err != nil {
		t.Errorf("ctr run --log-uri: %v: %s", err, out)
	}
	if b, _ := os.ReadFile(log); string(b) != "to-file\nerr-too\n" {
		t.Errorf("--log-uri file: %q", b)
	}
	if out, _ := ctr("containers", "ls", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("containers left: %s", out)
	}
}

// shimPod runs a jinn-shim pod named name under a cgroup parent of its own
// (removed when the test ends): its parent, config file and id.
func (e *criEnv) shimPod(t *testing.T, name string) (parent, pod, p string) {
	top := "/kubepods-" + randHex(4)
	t.Cleanup(func() { removeCgroups(top) })
	parent = top + "/pod" + randHex(8)
	pod = e.podConfig(name, parent)
	return parent, pod, e.crictlOK("runp", "--runtime", "jinn-shim", pod)
}

// sleeper creates and starts container c1 (sleep 1000) in pod p.
func (e *criEnv) sleeper(p, pod string) string {
	c := e.crictlOK("create", p, e.ctrConfig("c1", []string{"sleep", "1000"}, nil), pod)
	e.crictlOK("start", c)
	return c
}
