package test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jinn-containers/jinn/internal/network"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// cgroupParentEnv is jinn's and jinn-runtime's variable for the parent
// cgroup of new containers (ocicli.CgroupParentEnv).
const cgroupParentEnv = "JINN_CGROUP_PARENT"

// suite is what makes one run of the suite its own: a parent cgroup, a
// temporary directory under which every test's stores are (TMPDIR), and
// the jinn stores it made, whose bridges and nftables tables are named
// from their paths. Nothing machine-wide is asserted on.
var suite struct {
	id           string
	cgroupParent string // jinn-e2e-<id>: every container of the suite is below it
	dir          string // the run's $TMPDIR
	mu           sync.Mutex
	roots        map[string]bool // jinn --root of every store the suite made
}

// runSuite runs the tests between a bystander's start and check and a
// check that nothing of the suite's own is left; it returns the exit code.
func runSuite(m *testing.M) int {
	suite.id = randHex(3)
	suite.cgroupParent = "jinn-e2e-" + suite.id
	suite.roots = map[string]bool{}
	runBefore := runEntries()
	// Made before TMPDIR changes: the bystander is not the suite's.
	by, err := startBystander()
	if err != nil {
		fmt.Fprintf(os.Stderr, "test: start the bystander container: %v\n", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "je"+suite.id)
	if err != nil {
		fmt.Fprintln(os.Stderr, "test:", err)
		by.remove()
		return 1
	}
	suite.dir = dir
	// Every jinn, jinn-runtime, monitor and daemon the tests start
	// inherits both.
	os.Setenv("TMPDIR", dir)
	os.Setenv(cgroupParentEnv, suite.cgroupParent)
	// jinn-runtime run's plans for the C run (runplan.go) stay the suite's.
	os.Setenv("JINN_RUNTIME_PLAN_DIR", filepath.Join(dir, "run-plans"))
	// No test may reach a registry beyond loopback (an image missing by
	// mistake would make `run` pull from docker.io): HTTPS goes to a closed
	// loopback port, loopback itself goes direct.
	os.Setenv("HTTPS_PROXY", "http://127.0.0.1:9")
	os.Setenv("NO_PROXY", "localhost,127.0.0.1,::1")

	code := m.Run()

	var problems []string
	problems = append(problems, by.check()...)
	problems = append(problems, by.remove()...)
	removeNetworkLock(runBefore)
	problems = append(problems, leftovers(runBefore)...)
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "test: after the suite:", p)
	}
	if len(problems) > 0 {
		code = 1
	}
	if !mountedUnder(dir) {
		os.RemoveAll(dir)
	}
	return code
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// trackRoot records a jinn store of the suite's, so that the end can check
// that its bridge and nftables table are gone.
func trackRoot(root string) {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	if suite.roots != nil {
		suite.roots[root] = true
	}
}

// netNamesOf returns the nftables table and default bridge of a store's
// root, named as the network package names them for a non-default root.
func netNamesOf(root string) (table, bridge string) {
	abs, _ := filepath.Abs(filepath.Join(root, "network"))
	sum := sha256.Sum256([]byte(abs))
	h := hex.EncodeToString(sum[:])[:6]
	return "jinn_" + h, "jinn" + h
}

// cgroupPath returns a path in the suite's parent cgroup on one
// hierarchy: cgroupPath("pids", id) is /sys/fs/cgroup/pids/<parent>/<id>.
// On a pure cgroup2 host there is one hierarchy, so the name is dropped.
func cgroupPath(hierarchy string, rel ...string) string {
	if pureCgroup2() {
		hierarchy = ""
	}
	return filepath.Join(append([]string{"/sys/fs/cgroup", hierarchy, suite.cgroupParent}, rel...)...)
}

// pureCgroup2 says whether /sys/fs/cgroup itself is a cgroup2 mount.
func pureCgroup2() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// suiteCgroups lists the suite's parent cgroup wherever it exists.
func suiteCgroups() []string {
	a, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", suite.cgroupParent))
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", suite.cgroupParent)); err == nil {
		a = append(a, filepath.Join("/sys/fs/cgroup", suite.cgroupParent)) // pure cgroup2
	}
	return a
}

// leftovers lists what the suite made and did not remove: mounts under its
// directory, its cgroups, processes that carry its cgroup parent in their
// environment or its directory in their command line, its stores'
// bridges and tables, and what its tools made in /run.
func leftovers(runBefore map[string]bool) []string {
	var out []string
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(mi), "\n") {
		if strings.Contains(l, suite.dir) {
			out = append(out, "mount: "+l)
		}
	}
	for _, cg := range suiteCgroups() {
		out = append(out, "cgroup: "+cg)
	}
	out = append(out, suiteProcesses()...)
	suite.mu.Lock()
	roots := make([]string, 0, len(suite.roots))
	for r := range suite.roots {
		roots = append(roots, r)
	}
	suite.mu.Unlock()
	sort.Strings(roots)
	for _, r := range roots {
		table, bridge := netNamesOf(r)
		if exec.Command("nft", "list", "table", "ip", table).Run() == nil {
			out = append(out, "nftables table "+table+" of "+r)
		}
		if exec.Command("ip", "link", "show", bridge).Run() == nil {
			out = append(out, "bridge "+bridge+" of "+r)
		}
	}
	// User networks' bridges (jbr-*) carry their store's network directory
	// in their alias.
	links, _ := netlink.LinkList()
	for _, l := range links {
		a := l.Attrs()
		if strings.HasPrefix(a.Alias, network.BridgeAliasPrefix+suite.dir) {
			out = append(out, "bridge "+a.Name+" ("+a.Alias+")")
		}
	}
	after := runEntries()
	var made []string
	for p := range after {
		if !runBefore[p] {
			made = append(made, p)
		}
	}
	sort.Strings(made)
	for _, p := range made {
		out = append(out, "in /run: "+p)
	}
	return out
}

// suiteProcesses lists processes started by the suite that still run.
func suiteProcesses() []string {
	var out []string
	mark := []byte(cgroupParentEnv + "=" + suite.cgroupParent + "\x00")
	self := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if bytes.Contains(env, mark) || bytes.Contains(cmd, []byte(suite.dir)) {
			out = append(out, fmt.Sprintf("process %d: %s", pid, bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
		}
	}
	return out
}

// runDirs are the directories in /run that the suite's tools (jinn,
// jinn-runtime, runc, crun, containerd, dockerd, podman) make when they
// are not told otherwise; runEntries lists them and what is in them.
var runDirs = []string{"jinn", "jinn-runtime", "runc", "crun", "containerd", "docker", "docker.sock",
	"containers", "libpod", "netns", "cni"}

func runEntries() map[string]bool {
	m := map[string]bool{}
	for _, d := range runDirs {
		p := filepath.Join("/run", d)
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		m[p] = true
		ents, _ := os.ReadDir(p)
		for _, e := range ents {
			m[filepath.Join(p, e.Name())] = true
		}
	}
	return m
}

// removeNetworkLock removes /run/jinn/network.lock, the lock every jinn
// store on the machine takes to pick subnets, if the suite made it and
// nobody holds it now.
func removeNetworkLock(runBefore map[string]bool) {
	const lock = "/run/jinn/network.lock"
	if runBefore[lock] {
		return
	}
	fd, err := unix.Open(lock, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) != nil {
		return
	}
	os.Remove(lock)
	if !runBefore["/run/jinn"] {
		unix.Rmdir("/run/jinn")
	}
}

func mountedUnder(dir string) bool {
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	return bytes.Contains(mi, []byte(dir))
}

// podmanDir is t.TempDir for a podman store, with a short path directly
// in the suite's directory (podman refuses a runroot longer than 50
// characters); the directories podman makes in /run whatever it is told
// go when the test ends.
func podmanDir(t *testing.T) string {
	t.Helper()
	tidyRun(t, "/run/containers", "/run/containers/networks", "/run/libpod", "/run/jinn-runtime")
	dir, err := os.MkdirTemp("", "p")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !mountedUnder(dir) {
			os.RemoveAll(dir)
		}
	})
	return dir
}

// tidyRun removes, when the test ends, the empty directories under the
// given /run paths that did not exist when it started: daemons such as
// containerd put their shim sockets in /run whatever they are told, and
// leave the directories when they stop. Files are never removed; a
// directory that is not empty stays, for the suite's end to report.
func tidyRun(t *testing.T, paths ...string) {
	t.Helper()
	before := map[string]bool{}
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			before[p] = true
		}
	}
	t.Cleanup(func() {
		for _, p := range paths {
			if before[p] {
				continue
			}
			var dirs []string
			filepath.WalkDir(p, func(q string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					dirs = append(dirs, q)
				}
				return nil
			})
			for i := len(dirs) - 1; i >= 0; i-- {
				unix.Rmdir(dirs[i])
			}
		}
	})
}
