package monitor

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

type monitor struct {
	// firstStdin is the read end of the first run's stdin pipe (-i without
	// -t), made before the attached client's start request so that input
	// it sends right after that request waits in the pipe.
	firstStdin *os.File
	trimReq    chan struct{} // see trimSoon
	cfg        *Config
	r          *reaper
	hub        *hub
	log        *jsonLog
	devnul     *os.File
}

// Run is the monitor's main: sync is the pipe to the engine (may be nil).
func Run(cfg *Config, sync *os.File) int {
	// The container's init is reparented to us when the runtime's run exits.
	syscall.RawSyscall(syscall.SYS_PRCTL, 36 /* PR_SET_CHILD_SUBREAPER */, 1, 0)
	// Best effort: lowering needs CAP_SYS_RESOURCE. The container's own
	// value is set in its spec (process.oomScoreAdj), not inherited from us.
	os.WriteFile("/proc/self/oom_score_adj", []byte("-999"), 0)

	cliGone := parentGone() // before anything: the CLI may die at any moment
	m := &monitor{cfg: cfg, r: newReaper(), hub: newHub(), trimReq: make(chan struct{}, 1)}
	go m.trimmer()
	fail := func(err error) int {
		if sync != nil {
			sync.WriteString("error " + oneLine(err.Error()) + "\n")
			sync.Close()
		}
		// Gone before it is recorded as exited: a runtime killed after
		// it started the container leaves it running.
		m.deleteForce()
		UpdateState(cfg.StateDir, func(s *State) {
			s.Status, s.Error, s.MonitorPid, s.FinishedAt = StatusExited, err.Error(), 0, time.Now().UTC()
			s.ExitCode = 125
		})
		return 1
	}
	var err error
	if m.devnul, err = os.Open(os.DevNull); err != nil {
		return fail(err)
	}
	if m.log, err = openJSONLog(cfg.LogPath, cfg.LogMaxSize, cfg.LogMaxFiles); err != nil {
		return fail(err)
	}
	defer m.log.close()
	if err := m.hub.listen(cfg.StateDir, AttachSock); err != nil {
		return fail(errors.New("listen on attach socket: " + err.Error()))
	}

	restarts, backoff := 0, 100*time.Millisecond
	// starter is the attached client whose start request begins the first
	// run (Config.Start false): the engine hears "ok" as soon as the
	// monitor listens, attaches, and asks; the container is then created
	// and started by one `runtime run --detach`, so no output is missed and
	// a second exec of the runtime (start) is saved.
	var starter *client
	if cfg.Stdin && !cfg.Tty {
		r, w, err := os.Pipe()
		if err != nil {
			return fail(err)
		}
		m.firstStdin = r
		m.hub.setStdin(w, false)
	}
	if !cfg.Start {
		if sync != nil {
			sync.WriteString("ok 0\n")
			sync.Close()
			sync = nil
		}
		select {
		case starter = <-m.hub.startCh:
		case <-cliGone:
			// The CLI was killed before it asked to start: nothing was
			// made, and a `rm -f` may be waiting for this monitor.
			select {
			case starter = <-m.hub.startCh:
			default:
				UpdateState(cfg.StateDir, func(s *State) { s.MonitorPid = 0 })
				return 1
			}
		case <-time.After(time.Minute):
			// The CLI never attached: nothing was made.
			UpdateState(cfg.StateDir, func(s *State) { s.MonitorPid = 0 })
			return 1
		}
	}
	for {
		oomBase := m.oomCount() // a new cgroup: 0 unless one was left
		pid, io, err := m.create()
		if err != nil {
			if sync != nil {
				return fail(err)
			}
			if starter != nil {
				// The attached CLI reports the error (and removes the
				// container for --rm); there is nothing to run.
				m.deleteForce()
				m.hub.reply(starter, FrameStarted, []byte(err.Error()))
				UpdateState(cfg.StateDir, func(s *State) {
					s.Status, s.Error, s.FinishedAt, s.ExitCode = StatusExited, err.Error(), time.Now().UTC(), 125
				})
				UpdateState(cfg.StateDir, func(s *State) { s.MonitorPid = 0 })
				m.hub.finish(125, false)
				return 1
			}
			// A restart that fails to create ends the container.
			m.deleteForce()
			UpdateState(cfg.StateDir, func(s *State) { s.Status, s.Error = StatusExited, err.Error() })
			break
		}
		exitCh := m.r.wait(pid)
		UpdateState(cfg.StateDir, func(s *State) {
			s.Pid, s.MonitorPid, s.MonitorStart = pid, os.Getpid(), ProcStart(os.Getpid())
			s.Error = ""
			s.Status, s.StartedAt, s.RestartCount = StatusRunning, time.Now().UTC(), restarts
		})
		// The monitor records start (also a restart's) so that it is
		// always before the die it records.
		m.event("start")
		if starter != nil {
			m.hub.reply(starter, FrameStarted, nil)
			starter = nil
		}
		if sync != nil {
			sync.WriteString("ok " + itoa(pid) + "\n")
			sync.Close()
			sync = nil
		}
		m.trimSoon()
		stopHealth := m.startHealth(pid)
		ws := <-exitCh
		stopHealth()
		finished := time.Now().UTC()
		io.wait(2 * time.Second)
		code := exitCode(ws)
		oom := m.oomCount() > oomBase
		if oom {
			m.event("oom")
		}
		m.event("die", "exitCode", itoa(code))
		exited := func(s *State) {
			s.Status, s.ExitCode, s.OOMKilled, s.FinishedAt, s.Pid = StatusExited, code, oom, finished, 0
		}
		if len(cfg.Cleanup) > 0 {
			// --rm (never restarted: the engine refuses a restart
			// policy with it). The attached CLI's removals are the long
			// pole of the run's end, so they begin first: the exit goes
			// out once the die event is written (always before the
			// CLI's destroy), then the runtime's delete starts (the
			// cgroup's OOM count was read: it removes the cgroup), and
			// the state's record is written while it runs. The CLI
			// removes the state directory only after FrameDeleted, so
			// after this record.
			m.hub.announce(code)
			deleted := make(chan bool, 1)
			go func() { deleted <- m.deleteForce() }()
			UpdateState(cfg.StateDir, exited)
			m.finishRm(code, <-deleted)
			return 0
		}
		st, _ := UpdateState(cfg.StateDir, exited)
		if !m.shouldRestart(code, restarts, st) {
			break
		}
		m.deleteForce()
		restarts++
		UpdateState(cfg.StateDir, func(s *State) { s.Status = StatusRestarting; s.RestartCount = restarts })
		if time.Since(st.StartedAt) > 10*time.Second {
			backoff = 100 * time.Millisecond
		}
		time.Sleep(backoff)
		if backoff < 5*time.Second {
			backoff *= 2
		}
		if _, err := os.Stat(filepath.Join(cfg.StateDir, StopMarker)); err == nil {
			UpdateState(cfg.StateDir, func(s *State) { s.Status = StatusExited })
			break
		}
	}
	st, _ := ReadState(cfg.StateDir)
	code := 0
	if st != nil {
		code = st.ExitCode
	}
	if len(cfg.Cleanup) > 0 {
		// --rm: the attached CLI removes the rest while the runtime deletes.
		m.hub.announce(code)
		m.finishRm(code, m.deleteForce())
		return 0
	}
	deleted := m.deleteForce()
	UpdateState(cfg.StateDir, func(s *State) { s.MonitorPid, s.Deleted = 0, deleted })
	if len(cfg.OnExit) > 0 {
		m.r.run(cfg.OnExit, []*os.File{m.devnul, m.devnul, m.devnul}, time.Minute, nil)
	}
	m.hub.finish(code, false)
	return 0
}

// finishRm ends a --rm container's monitor once the runtime's delete is
// done (announce went first): FrameDeleted to the attached CLI, which then
// removes the state directory; only if none did, the state records the
// delete and the engine's removal runs. (Recorded before FrameDeleted, it
// would be a write the CLI waits for and then removes.)
func (m *monitor) finishRm(code int, deleted bool) {
	if m.hub.finish(code, true) {
		return
	}
	UpdateState(m.cfg.StateDir, func(s *State) { s.MonitorPid, s.Deleted = 0, deleted })
	m.r.run(m.cfg.Cleanup, []*os.File{m.devnul, m.devnul, m.devnul}, time.Minute, nil)
}

func (m *monitor) shouldRestart(code, restarts int, st *State) bool {
	if _, err := os.Stat(filepath.Join(m.cfg.StateDir, StopMarker)); err == nil {
		return false
	}
	// `jinn update --restart` rewrites the policy while the container runs.
	if c, err := ReadConfig(filepath.Join(m.cfg.StateDir, ConfigFile)); err == nil && c.ID == m.cfg.ID {
		m.cfg.Restart = c.Restart
	}
	switch m.cfg.Restart.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (m.cfg.Restart.Max <= 0 || restarts < m.cfg.Restart.Max)
	}
	return false
}

// runtime runs the OCI runtime with the monitor's global args; on failure
// the error holds what the runtime printed.
// deleteForce deletes the container from the runtime, trying again if
// the runtime fails (it may be killed): what it leaves would run on while
// the state says exited.
func (m *monitor) deleteForce() bool {
	for i := 0; ; i++ {
		if m.runtime("delete", "--force", m.cfg.ID) == nil {
			return true
		}
		if i == 4 {
			return false
		}
		time.Sleep(time.Duration(i+1) * 50 * time.Millisecond)
	}
}

func (m *monitor) runtime(args ...string) error {
	return m.runtimeAbort(nil, args...)
}

// runtimeAbort is runtime that gives up when abort closes; every runtime
// command has a deadline, so a hung runtime cannot hold the monitor.
func (m *monitor) runtimeAbort(abort <-chan struct{}, args ...string) error {
	rp, wp, err := os.Pipe()
	if err != nil {
		return err
	}
	argv := append(append([]string{m.cfg.Runtime}, m.cfg.RuntimeArgs...), args...)
	var out []byte
	done := make(chan struct{})
	go func() { out, _ = readAll(rp); close(done) }()
	ws, err := m.r.run(argv, []*os.File{m.devnul, wp, wp}, 30*time.Second, abort)
	wp.Close()
	<-done
	rp.Close()
	if err != nil {
		return errors.New(filepath.Base(m.cfg.Runtime) + " " + args[0] + ": " + err.Error())
	}
	if ws.ExitStatus() != 0 || ws.Signaled() {
		return runtimeError(m.cfg.Runtime, args[0], out, ws)
	}
	return nil
}

func runtimeError(rt, cmd string, out []byte, ws syscall.WaitStatus) error {
	msg := strings.TrimSpace(string(out))
	if msg == "" {
		msg = "exit status " + itoa(exitCode(ws))
	}
	return errors.New(filepath.Base(rt) + " " + cmd + " failed: " + msg)
}

func readAll(f *os.File) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(f)
	return b.Bytes(), err
}

// stdio is one run of the container's streams.
type stdio struct{ wg sync.WaitGroup }

func (s *stdio) wait(d time.Duration) {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// create runs `runtime run --detach` (create and start in one exec) with
// fresh pipes (or a console socket) and returns the container init's pid.
// The init is reparented to the monitor, a child subreaper, when the
// runtime exits.
func (m *monitor) create() (int, *stdio, error) {
	cfg := m.cfg
	pidFile := filepath.Join(cfg.StateDir, "init.pid")
	os.Remove(pidFile)
	args := []string{"run", "--detach", "--bundle", cfg.Bundle, "--pid-file", pidFile}
	io := &stdio{}
	var files []*os.File
	var closeAfter []*os.File
	var errR *os.File // where the runtime's own messages arrive
	var console *consoleSocket
	if cfg.Tty {
		var err error
		if console, err = listenConsole(cfg.StateDir, "console.sock"); err != nil {
			return 0, nil, errors.New("console socket: " + err.Error())
		}
		defer console.close()
		args = append(args, "--console-socket", console.path)
		r, w, err := os.Pipe()
		if err != nil {
			return 0, nil, err
		}
		errR = r
		files = []*os.File{m.devnul, w, w}
		closeAfter = append(closeAfter, w)
	} else {
		inR := m.devnul
		if m.firstStdin != nil {
			inR = m.firstStdin
			m.firstStdin = nil
			closeAfter = append(closeAfter, inR)
		} else if cfg.Stdin {
			r, w, err := os.Pipe()
			if err != nil {
				return 0, nil, err
			}
			inR = r
			closeAfter = append(closeAfter, r)
			m.hub.setStdin(w, false)
		}
		outR, outW, err := os.Pipe()
		if err != nil {
			return 0, nil, err
		}
		errR2, errW, err := os.Pipe()
		if err != nil {
			return 0, nil, err
		}
		files = []*os.File{inR, outW, errW}
		closeAfter = append(closeAfter, outW, errW)
		errR = errR2
		defer func() {
			// The runtime's messages during create came on the stderr pipe;
			// from start on, both pipes are the container's.
			m.copyOut(io, outR, "stdout", FrameStdout)
			m.copyOut(io, errR, "stderr", FrameStderr)
		}()
	}
	argv := append(append([]string{cfg.Runtime}, cfg.RuntimeArgs...), append(args, cfg.ID)...)
	p, err := os.StartProcess(cfg.Runtime, argv, &os.ProcAttr{Files: files})
	for _, f := range closeAfter {
		f.Close()
	}
	if err != nil {
		return 0, nil, errors.New("run " + cfg.Runtime + ": " + err.Error())
	}
	rpid := p.Pid
	p.Release()
	var ptyCh chan *os.File
	if console != nil {
		ptyCh = make(chan *os.File, 1)
		go func() {
			f, err := ReceivePty(console.fd)
			if err != nil {
				f = nil
			}
			ptyCh <- f
		}()
	}
	ws := <-m.r.wait(rpid)
	if ws.ExitStatus() != 0 || ws.Signaled() {
		var msg []byte
		if cfg.Tty {
			msg, _ = readAll(errR)
		} else {
			errR.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			msg, _ = readAll(errR)
		}
		errR.Close()
		errR = nil
		return 0, nil, runtimeError(cfg.Runtime, "run", msg, ws)
	}
	if cfg.Tty {
		errR.Close()
		var master *os.File
		select {
		case master = <-ptyCh:
		case <-time.After(5 * time.Second):
		}
		if master == nil {
			return 0, nil, errors.New("create: runtime sent no pty master")
		}
		m.hub.setStdin(master, true)
		m.copyOut(io, master, "stdout", FrameStdout)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, nil, errors.New("read pid file of " + cfg.ID + ": " + err.Error())
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, nil, errors.New("bad pid file of " + cfg.ID + ": " + strconv.Quote(string(b)))
	}
	return pid, io, nil
}

// copyOut copies one stream into the log and to attached clients until EOF.
func (m *monitor) copyOut(io *stdio, f *os.File, stream string, frame byte) {
	if f == nil {
		return
	}
	io.wg.Add(1)
	go func() {
		defer io.wg.Done()
		defer f.Close()
		ls := &lineSplitter{stream: stream, log: m.log}
		buf := make([]byte, smallRead)
		var lastBig time.Time
		first := true
		for {
			n, err := f.Read(buf)
			if n > 0 {
				ls.write(buf[:n])
				for p := buf[:n]; len(p) > 0; {
					// Frames of at most smallRead: an attached client's
					// queue is counted in frames.
					k := min(len(p), smallRead)
					m.hub.broadcast(frame, p[:k])
					p = p[k:]
				}
				switch {
				case n >= smallRead:
					lastBig = time.Now()
					if n == len(buf) && n < bigRead {
						buf = fastWriter(f)
					}
				case len(buf) == bigRead && time.Since(lastBig) > time.Second:
					// Quiet again: what a burst grew goes back.
					buf = make([]byte, smallRead)
					ls.shrink()
				}
				if first {
					// This goroutine's stack has grown to its working size.
					first = false
					m.trimSoon()
				}
			}
			if err != nil {
				break
			}
		}
		ls.flush()
	}()
}

// A stream is read smallRead at a time until a read fills the buffer: a
// writer that fast gets a bigRead buffer and a pipe of bigPipe, so that
// the monitor wakes and writes its log once per 128 KiB, not per 8 KiB
// (at 50 MB/s of output the wake-ups and syscalls cost more than the
// JSON). Quiet containers, nearly all of them, keep the small ones, and
// a stream whose reads have been small for a second after a burst gets
// them back.
const (
	smallRead = 8 << 10
	bigRead   = 128 << 10
	bigPipe   = 1 << 20
)

func fastWriter(f *os.File) []byte {
	// The pipe's pages are taken only as it fills; a failure (a console,
	// or the host's pipe limits) leaves it as it was.
	// (SyscallConn, not Fd: Fd would put the pipe in blocking mode.)
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, bigPipe) })
	}
	return make([]byte, bigRead)
}

// oomCount reads the OOM kill counter of the container's memory cgroup.
func (m *monitor) oomCount() int64 {
	var n int64
	for _, p := range m.cfg.OOMFiles {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
				c, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += c
			}
		}
	}
	return n
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ") }

// trimSoon asks for a trim (see trim) a second from now. It is called when
// the container runs and when each output stream first carries data: a
// goroutine whose stack grows after a trim walks the stack maps in the
// pclntab and faults them back in.
func (m *monitor) trimSoon() {
	select {
	case m.trimReq <- struct{}{}:
	default:
	}
}

// trimmer runs the trims on one goroutine that never ends: a goroutine's
// exit looks its function up in the pclntab, and one fault there maps a
// whole large folio of it back (hundreds of KiB with this kernel's page
// cache).
func (m *monitor) trimmer() {
	for range m.trimReq {
		time.Sleep(time.Second)
		select {
		case <-m.trimReq: // asked again meanwhile: wait once more
			m.trimSoon()
			continue
		default:
		}
		trim()
	}
}
