package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"unsafe"

	"github.com/jinn-containers/jinn/internal/jsonlite"
	"github.com/jinn-containers/jinn/internal/nsexec"
	"github.com/jinn-containers/jinn/internal/rootfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// taskFdPrefix marks a CgroupTasks entry that is an inherited fd.
const taskFdPrefix = "fd:"

// InitEnv is set in the environment of the re-executed binary: it names the
// sync socket, and its presence means "be the container side".
const InitEnv = "_JINN_INIT"

// IsInit says whether this process is the re-executed binary's container
// side: "init" as its first argument and InitEnv set.
func IsInit() bool {
	return len(os.Args) > 1 && os.Args[1] == "init" && os.Getenv(InitEnv) != ""
}

func init() {
	// The container side sets credentials, no_new_privs and seccomp on the
	// thread that calls execve: keep the main goroutine on the main thread
	// from the start (package inits run on it) in every binary that
	// carries the runtime (jinn-runtime, the shim).
	if IsInit() {
		goruntime.LockOSThread()
	}
}

// Init is the container side of create and exec, in the re-executed binary
// (IsInit). Init returns only by exiting.
func Init() {
	fd, err := strconv.Atoi(os.Getenv(InitEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "jinn-runtime init: not started by jinn-runtime")
		os.Exit(1)
	}
	os.Unsetenv(InitEnv)
	os.Unsetenv(nsexec.CgroupEnv) // the C stage's, done with (Go keeps its own copy of the environment)
	if err := restoreOOMScore(os.Getenv(oomScoreEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "jinn-runtime init: restore oom_score_adj:", err)
		os.Exit(1)
	}
	os.Unsetenv(oomScoreEnv)
	// The name Status reads as "created" until execve renames us. This is
	// the main thread (locked), whose name is the process's.
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&[]byte(initComm + "\x00")[0])), 0, 0, 0)
	unix.CloseOnExec(fd)
	c := newConn(os.NewFile(uintptr(fd), "sync"))
	err = initMain(c)
	if c.send(message{Type: msgError, Msg: err.Error()}) != nil {
		fmt.Fprintln(os.Stderr, "jinn-runtime init:", err)
	}
	os.Exit(1)
}

func initMain(c *conn) error {
	// Read as raw bytes (the decoder may hold the parent's next message
	// too), decoded without encoding/json's reflection over initConfig.
	var raw json.RawMessage
	var cfg initConfig
	if err := c.dec.Decode(&raw); err != nil {
		return fmt.Errorf("read init config: %w", err)
	}
	if err := jsonlite.Decode(raw, &cfg); err != nil {
		return fmt.Errorf("read init config: %w", err)
	}
	// Before anything else, above all before any fork: this thread is the
	// one that forks hooks and execs the user program.
	if err := joinCgroup(cfg.CgroupTasks); err != nil {
		return err
	}
	keepAgentState(cfg.State) // notify.go
	s := new(specs.Spec)
	if err := decodeInitSpec(cfg.Config, s); err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	absMountDests(s)
	if cfg.Process != nil {
		s.Process = new(specs.Process)
		if err := json.Unmarshal(cfg.Process, s.Process); err != nil {
			return fmt.Errorf("read process: %w", err)
		}
	}
	s.Process.Env = append(s.Process.Env, cfg.ExtraEnv...)
	if cfg.Exec {
		return execInit(c, &cfg, s)
	}
	_, userNS := nsOf(s, specs.UserNamespace)
	cgNS, hasCgNS := nsOf(s, specs.CgroupNamespace)
	inCgroup := false
	waitCgroup := func() error {
		if inCgroup {
			return nil
		}
		inCgroup = true
		if _, err := c.expect("cgroup"); err != nil {
			return err
		}
		if hasCgNS && cgNS.Path == "" {
			// Now the container's cgroup is the namespace's root. This
			// thread (locked, the one that execs) only: enough.
			if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
				return fmt.Errorf("unshare cgroup namespace: %w", err)
			}
		}
		return nil
	}
	_, mntNS := nsOf(s, specs.MountNamespace)
	rc := &rootfs.Config{Rootfs: cfg.Rootfs, Bundle: cfg.Bundle, Spec: s, UserNS: userNS, HostMounts: !mntNS,
		CgroupNS: hasCgNS && cgNS.Path == "", BeforeCgroup: waitCgroup, RootfsFd: cfg.RootfsFd, MountFds: cfg.MountFds,
		CgroupMounts: cfg.CgroupMounts}
	root, err := rootfs.Prepare(rc)
	if err != nil {
		return err
	}
	if err := rootfs.MountAll(root, rc); err != nil {
		return err
	}
	if err := rootfs.Devices(root, rc); err != nil {
		return err
	}
	if s.Process.Cwd != "" {
		if err := root.MkdirAll(s.Process.Cwd, 0o755, nil); err != nil {
			return fmt.Errorf("make cwd: %w", err)
		}
	}
	if err := waitCgroup(); err != nil {
		return err
	}
	h := hooksOf(s)
	if len(h.Prestart)+len(h.CreateRuntime) > 0 {
		if err := c.send(message{Type: msgHooks}); err != nil {
			return err
		}
		if _, err := c.expect("ok"); err != nil {
			return err
		}
	}
	cfg.State.Status = specs.StateCreated
	if err := runHooks("createContainer", h.CreateContainer, cfg.State); err != nil {
		return err
	}
	var tty *os.File
	if s.Process.Terminal {
		master, slave, err := rootfs.Console(root)
		if err != nil {
			return err
		}
		if err := sendConsole(cfg.ConsoleFd, master, s.Process.ConsoleSize); err != nil {
			return err
		}
		// The terminal replaces create's stdio now, as in runc: a caller
		// that reads create's output to EOF (containerd's shim does)
		// would otherwise wait for start.
		for i := 0; i < 3; i++ {
			if err := unix.Dup3(int(slave.Fd()), i, 0); err != nil {
				return fmt.Errorf("terminal as fd %d: %w", i, err)
			}
		}
		tty = slave
	}
	root.Close()
	if s.Process.OOMScoreAdj != nil {
		if err := os.WriteFile("/proc/self/oom_score_adj", []byte(strconv.Itoa(*s.Process.OOMScoreAdj)), 0); err != nil {
			return fmt.Errorf("set oom_score_adj: %w", err)
		}
	}
	if cfg.NewKeyring {
		// A keyring of its own, so the container never sees the host's
		// session keys. Kernels without keyrings (or denied) go without.
		unix.KeyctlJoinSessionKeyring("_ses." + cfg.State.ID)
	}
	if err := rootfs.Pivot(cfg.Rootfs, cfg.NoPivot, !mntNS); err != nil {
		return err
	}
	if err := sysctl(s.Linux.Sysctl); err != nil {
		return err
	}
	if err := rootfs.Finish(rc); err != nil {
		return err
	}
	if s.Hostname != "" {
		if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
			return fmt.Errorf("set hostname: %w", err)
		}
	}
	if s.Domainname != "" {
		if err := unix.Setdomainname([]byte(s.Domainname)); err != nil {
			return fmt.Errorf("set domainname: %w", err)
		}
	}
	path, env, err := prepareExec(s.Process)
	if err != nil {
		return err
	}
	if err := c.send(message{Type: msgReady}); err != nil {
		return err
	}
	if cfg.FifoFd < 0 {
		return startUser(s, &cfg, h, tty, path, env)
	}
	// Blocks until start opens the fifo for reading.
	fd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(cfg.FifoFd), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open("/proc/self/fd/"+strconv.Itoa(cfg.FifoFd), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	// A start killed before it read the byte leaves us a broken pipe: do
	// not run a program nobody started.
	if _, err := unix.Write(fd, []byte{0}); err != nil {
		return fmt.Errorf("write exec fifo: %w", err)
	}
	// The writer stays open until execve closes it: start waits for that
	// EOF, so a signal sent after start returns reaches the user program.
	// A failure from here on is told to start through the fifo.
	err = startUser(s, &cfg, h, tty, path, env)
	unix.Write(fd, []byte(err.Error()))
	return err
}

// startUser runs the startContainer hooks and execs the user program; it
// returns only on failure.
func startUser(s *specs.Spec, cfg *initConfig, h *specs.Hooks, tty *os.File, path string, env []string) error {
	cfg.State.Status = specs.StateRunning
	if err := runHooks("startContainer", h.StartContainer, cfg.State); err != nil {
		return err
	}
	return finish(s.Process, s.Linux, tty, cfg.ExtraFds, path, env)
}

// execInit runs in a process that the C stage put in all of a running
// container's namespaces (its root is the container's).
func execInit(c *conn, cfg *initConfig, s *specs.Spec) error {
	p := s.Process
	if cfg.Rootfs != "" { // the container has no mount namespace
		if err := rootfs.Pivot(cfg.Rootfs, false, true); err != nil {
			return err
		}
	}
	var tty *os.File
	if p.Terminal {
		root, err := rootfs.OpenRoot("/")
		if err != nil {
			return err
		}
		master, slave, err := rootfs.OpenPty(root)
		root.Close()
		if err != nil {
			return err
		}
		if err := sendConsole(cfg.ConsoleFd, master, p.ConsoleSize); err != nil {
			return err
		}
		tty = slave
	}
	path, env, err := prepareExec(p)
	if err != nil {
		return err
	}
	if err := c.send(message{Type: msgReady}); err != nil {
		return err
	}
	return finish(p, s.Linux, tty, cfg.ExtraFds, path, env)
}

// joinCgroup moves the calling thread, the locked main thread, into its
// v1 cgroups: writing "0" to tasks moves only the writer, which skips the
// kernel's global threadgroup lock and the RCU grace period (5-15 ms)
// that a write to cgroup.procs waits for. The runtime's other threads stay
// behind; they never fork, and execve ends them.
//
// An entry "fd:N" is a tasks file the parent opened (exec: our mount
// namespace is the container's, where host paths do not lead).
func joinCgroup(tasks []string) error {
	for _, p := range tasks {
		var fd int
		var err error
		if n, ok := strings.CutPrefix(p, taskFdPrefix); ok {
			fd, err = strconv.Atoi(n)
		} else {
			fd, err = unix.Open(p, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		}
		if err != nil {
			return fmt.Errorf("join cgroup: %w", err)
		}
		_, err = unix.Write(fd, []byte("0"))
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("join cgroup %s: %w", p, err)
		}
	}
	return nil
}

func sendConsole(sock int, master *os.File, size *specs.Box) error {
	defer master.Close()
	defer unix.Close(sock)
	if size != nil {
		unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ,
			&unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)})
	}
	if err := unix.Sendmsg(sock, []byte("/dev/ptmx"), unix.UnixRights(int(master.Fd())), nil, 0); err != nil {
		return fmt.Errorf("send pty master to console socket: %w", err)
	}
	return nil
}

func sysctl(kv map[string]string) error {
	for k, v := range kv {
		if strings.Contains(k, "..") || strings.Contains(k, "/") && strings.Contains(k, ".") {
			return fmt.Errorf("invalid sysctl %q", k)
		}
		if err := writeProcSys(k, v); err != nil { // procfs.go
			return err
		}
	}
	return nil
}

// prepareExec finds the program in the container's PATH and completes the
// environment, before "ready", so a typo fails create, not start.
func prepareExec(p *specs.Process) (string, []string, error) {
	env := p.Env
	pathVar, home := "", false
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			pathVar = e[5:]
		}
		home = home || strings.HasPrefix(e, "HOME=")
	}
	if !home {
		env = append(env[:len(env):len(env)], "HOME="+homeOf(p.User.UID))
	}
	arg0 := p.Args[0]
	if strings.Contains(arg0, "/") {
		if _, err := os.Stat(arg0); err != nil {
			return "", nil, fmt.Errorf("exec: %q: %w", arg0, errors.Unwrap(err))
		}
		return arg0, env, nil
	}
	if pathVar == "" {
		pathVar = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	for _, dir := range filepath.SplitList(pathVar) {
		cand := filepath.Join(dir, arg0)
		if fi, err := os.Stat(cand); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return cand, env, nil
		}
	}
	return "", nil, fmt.Errorf("exec: %q: executable file not found in $PATH", arg0)
}

func homeOf(uid uint32) string {
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return "/"
	}
	want := strconv.FormatUint(uint64(uid), 10)
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) >= 6 && f[2] == want && f[5] != "" {
			return f[5]
		}
	}
	return "/"
}
