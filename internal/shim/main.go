// Package shim is jinn's containerd shim v2 (runtime_type
// "io.containerd.jinn.v2"): one long-lived process per pod that serves
// containerd's Task API over ttrpc and drives the container lifecycle
// in-process through internal/runtime, where the runc shim starts a runtime
// binary for every create, start, kill and delete.
//
// How containerd (1.6) drives a shim binary, and what this package does:
//
//	containerd runs                       | the shim
//	--------------------------------------+-------------------------------------------
//	BIN [flags] -id ID start              | finds or starts the pod's shim (grouped by
//	  cwd bundle, runtime options on stdin|  io.kubernetes.cri.sandbox-id), writes
//	                                      |  bundle/address, prints the address, exits
//	  (the serving shim, started by start)| serves Task on the socket (fd 3), logs to
//	                                      |  the bundle's "log" fifo, publishes events
//	                                      |  to $TTRPC_ADDRESS
//	Task.Create … Task.Shutdown (ttrpc)   | service.go; Shutdown exits when no task is
//	                                      |  left
//	BIN [flags] -id ID -bundle B delete   | after a shim died: removes the container
//	  cwd bundle's parent                 |  and its rootfs mount, prints a
//	                                      |  DeleteResponse (protobuf) on stdout
package shim

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	taskapi "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/ttrpc"
	"github.com/jinn-containers/jinn/internal/memtrim"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// RuntimeType is the name containerd knows this shim by.
const RuntimeType = "io.containerd.jinn.v2"

// socketDir is where containerd's shims keep their sockets (containerd
// 1.6 hard-codes /run/containerd/s for its own).
const socketDir = "/run/containerd/s"

// sandboxAnnotation groups a pod's containers into one shim.
const sandboxAnnotation = "io.kubernetes.cri.sandbox-id"

// flags are what containerd passes every invocation.
type flags struct {
	namespace, id, address, publishBinary, bundle string
	debug                                         bool
}

// Main runs the shim's command line and returns the exit code. startFD
// is the pipe of a start forked before Go (see the command's
// startfork.c), -1 otherwise.
func Main(args []string, startFD int) int {
	var f flags
	fs := flag.NewFlagSet("containerd-shim-jinn-v2", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.StringVar(&f.namespace, "namespace", "", "namespace of the task")
	fs.StringVar(&f.id, "id", "", "id of the task")
	fs.StringVar(&f.address, "address", "", "containerd's grpc address")
	fs.StringVar(&f.publishBinary, "publish-binary", "", "containerd's binary, to publish events where $TTRPC_ADDRESS is not set")
	fs.StringVar(&f.bundle, "bundle", "", "bundle of the task (delete)")
	fs.BoolVar(&f.debug, "debug", false, "debug logs")
	version := fs.Bool("v", false, "print the version")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		fmt.Printf("containerd-shim-jinn-v2:\n  Runtime type: %s\n", RuntimeType)
		return 0
	}
	if f.namespace == "" {
		fmt.Fprintln(os.Stderr, "containerd-shim-jinn-v2: shim namespace cannot be empty")
		return 1
	}
	var err error
	switch cmd := fs.Arg(0); cmd {
	case "start":
		if startFD >= 0 {
			return startForked(f, os.NewFile(uintptr(startFD), "start"))
		}
		err = start(f)
	case "delete":
		err = cleanup(f)
	case "spare":
		err = spare(f)
	case "":
		// Started by an unforked start: the socket is fd 3.
		lf := os.NewFile(3, "socket")
		var l net.Listener
		if l, err = net.FileListener(lf); err == nil {
			err = serve(f, l, "")
		} else {
			err = fmt.Errorf("shim socket: %w", err)
		}
		lf.Close()
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "containerd-shim-jinn-v2: %v\n", err)
		return 1
	}
	return 0
}

// socketAddress is the pod's shim socket: one per containerd, namespace
// and group, named by a hash so that it fits sun_path.
func socketAddress(f flags, group string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{"jinn", f.address, f.namespace, group}, "/")))
	return filepath.Join(socketDir, fmt.Sprintf("%x", sum))
}

// groupOf is the shim group of the bundle in the working directory: its
// pod, or the task itself.
func groupOf(id string) string {
	spec, err := readBundleAnnotations("config.json")
	if err == nil {
		if g := spec[sandboxAnnotation]; g != "" {
			return g
		}
	}
	return id
}

// listenGroup finds the group's serving shim (l is nil) or listens on its
// socket; addr is the address either way.
func listenGroup(f flags) (addr string, l *net.UnixListener, err error) {
	if f.id == "" {
		return "", nil, errors.New("-id is required")
	}
	sock := socketAddress(f, groupOf(f.id))
	addr = "unix://" + sock
	if _, err := os.Lstat(sock); err == nil { // (a new pod's has none: no dial)
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return addr, nil, nil
		}
		os.Remove(sock) // a dead shim's
	}
	if err := os.MkdirAll(socketDir, 0o711); err != nil {
		return "", nil, err
	}
	nl, err := net.Listen("unix", sock)
	if err != nil {
		// Another start of the same pod won the race: use its shim.
		if c, derr := net.Dial("unix", sock); derr == nil {
			c.Close()
			return addr, nil, nil
		}
		return "", nil, fmt.Errorf("listen on %s: %w", sock, err)
	}
	l = nl.(*net.UnixListener)
	l.SetUnlinkOnClose(false) // the serving shim removes it
	return addr, l, nil
}

// claimGroup is listenGroup for this process, which will serve the group
// if l is not nil: the bundle records its pid and the address; on an
// error nothing is left listening.
func claimGroup(f flags) (addr string, l *net.UnixListener, err error) {
	addr, l, err = listenGroup(f)
	if err == nil && l != nil {
		err = os.WriteFile("shim.pid", []byte(fmt.Sprint(os.Getpid())), 0o644)
	}
	if err == nil {
		err = recordAddress(addr)
	}
	if err != nil && l != nil {
		os.Remove(l.Addr().String())
		l.Close()
		l = nil
	}
	return addr, l, err
}

// startForked is start in the child startfork.c made: it answers the
// parent through the pipe ("0" and the address, or "1" and the error)
// and, if the group had no shim, serves it itself.
func startForked(f flags, pipe *os.File) int {
	addr, l, err := claimGroup(f)
	if err != nil {
		io.WriteString(pipe, "1containerd-shim-jinn-v2: "+err.Error()+"\n")
		return 1
	}
	io.WriteString(pipe, "0"+addr)
	pipe.Close()
	if l == nil {
		return 0
	}
	if err := serve(f, l, ""); err != nil {
		return 1 // its log has it; nobody reads our stderr now
	}
	return 0
}

// start finds the group's serving shim or starts one, and prints its
// address: containerd reads our whole output as the address.
func start(f flags) error {
	addr, l, err := listenGroup(f)
	if err != nil {
		return err
	}
	if l == nil {
		return printAddress(addr)
	}
	sock := l.Addr().String()
	lf, err := l.File()
	l.Close()
	if err != nil {
		return err
	}
	defer lf.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := []string{"-namespace", f.namespace, "-id", f.id, "-address", f.address, "-publish-binary", f.publishBinary}
	if f.debug {
		args = append(args, "-debug")
	}
	cmd := exec.Command(self, args...)
	cmd.ExtraFiles = []*os.File{lf}
	// Its own process group: a signal to containerd's group is not ours.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.Remove(sock)
		return err
	}
	if err := os.WriteFile("shim.pid", []byte(fmt.Sprint(cmd.Process.Pid)), 0o644); err != nil {
		cmd.Process.Kill()
		os.Remove(sock)
		return err
	}
	cmd.Process.Release()
	return printAddress(addr)
}

// printAddress records the address and prints it.
func printAddress(addr string) error {
	if err := recordAddress(addr); err != nil {
		return err
	}
	_, err := io.WriteString(os.Stdout, addr)
	return err
}

// recordAddress writes the address in the bundle, where containerd finds
// the shim again after its own restart.
func recordAddress(addr string) error { return os.WriteFile("address", []byte(addr), 0o644) }

// serve is the long-lived shim: the Task service on l, the pod's socket;
// taken is a spare's takeover of the pod, timed ("": not a spare).
func serve(f flags, l net.Listener, taken string) error {
	logw := openLog()
	level := slog.LevelInfo
	if f.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: level, ReplaceAttr: microseconds})).With("id", f.id)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become a subreaper: %w", err)
	}
	sock := l.Addr().String()
	var n calls
	srv, err := ttrpc.NewServer(ttrpc.WithUnaryServerInterceptor(n.timed(log)))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := newPublisherBinary(ctx, os.Getenv("TTRPC_ADDRESS"), f.namespace, f.publishBinary, f.address, log)
	tl := &trackedListener{Listener: l}
	startSpareOnce := sync.OnceFunc(func() {
		if err := startSpare(f); err != nil {
			log.Debug("start a spare shim", "err", err)
		}
	})
	var svc *service
	svc = newService(ctx, f.namespace, pub, log, func() {
		// containerd 1.6 expects the shim to go away inside Shutdown
		// (it takes a closed connection as success). The connections
		// end first: a rootfs still being released (detachRootfs) keeps
		// the process in the kernel until the sync is done, and with it
		// every descriptor it has; nor need events still queued (a
		// TaskDelete) hold containerd up. The spare next, as main's
		// order had it: started after the runtime's deletes instead, it
		// did worse in paired rounds (BENCHMARKS.md, round 8).
		t0 := time.Now()
		os.Remove(sock)
		tl.hangUp()
		if sparesOn() {
			startSpareOnce() // if not done yet: containerd no longer waits for us
		}
		t1 := time.Now()
		pub.close(2 * time.Second)
		svc.waitDeletes(10 * time.Second) // containerd does not wait for them
		log.Debug("exit", "hangup and spare", t1.Sub(t0), "events and deletes", time.Since(t1))
		os.Exit(0)
	})
	if sparesOn() {
		// Not at once: a spare's start is a Go start (~2.5 ms of CPU),
		// which would compete with the pod's own next steps; a pod that
		// ends sooner starts it as it exits.
		svc.firstStart = func() { time.AfterFunc(spareDelay, startSpareOnce) }
	}
	taskapi.RegisterTaskService(srv, svc)
	go svc.reapStrays(ctx)
	// A pod's shim mostly waits: it gives back its heap and the mappings
	// of its code while idle, as the API service does.
	go memtrim.WhileIdle(&n.active, &n.lastDone, ctx.Done())
	log.Debug("serving", "socket", sock, "takeover", taken)
	if err := srv.Serve(ctx, tl); err != nil && !errors.Is(err, ttrpc.ErrServerClosed) {
		return err
	}
	return nil
}

// trackedListener keeps the connections it accepted, for hangUp.
type trackedListener struct {
	net.Listener
	mu    sync.Mutex
	conns []*net.UnixConn
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if uc, ok := c.(*net.UnixConn); ok {
		l.mu.Lock()
		// Those already closed go (one connection per task).
		kept := l.conns[:0]
		for _, o := range l.conns {
			if raw, err := o.SyscallConn(); err == nil && raw.Control(func(uintptr) {}) == nil {
				kept = append(kept, o)
			}
		}
		l.conns = append(kept, uc)
		l.mu.Unlock()
	}
	return c, err
}

// hangUp shuts the connections down (shutdown(2)): containerd reads EOF at
// once, whatever else still holds their descriptors.
func (l *trackedListener) hangUp() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.CloseRead()
		c.CloseWrite()
	}
}

// openLog opens the bundle's "log" fifo, which containerd reads into its
// own log; without a reader, logs go nowhere. Its write end is never the
// shim's stderr: a write to a closed fifo on fd 2 would kill the shim.
func openLog() io.Writer {
	fd, err := unix.Open("log", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return io.Discard
	}
	// Blocking writes: a full fifo slows the shim rather than losing lines.
	unix.SetNonblock(fd, false)
	return os.NewFile(uintptr(fd), "log")
}

// cleanup is the delete command: containerd runs it when a shim died, to
// remove what the shim left of task f.id.
func cleanup(f flags) error {
	if f.id == "" || f.bundle == "" {
		return errors.New("-id and -bundle are required")
	}
	removeDeadSocket(f.bundle)
	if optionsHeld(f.bundle) {
		// The live shim deletes the task after its answer (teardown.go).
		return writeDeleteResponse(0)
	}
	opts, found, err := readBundleOptions(f.bundle)
	if err != nil {
		return err
	}
	if !found {
		// No task was made, or its Delete removed everything (and the
		// file): containerd runs this after every shim's exit.
		return writeDeleteResponse(0)
	}
	rt := newRuntime(opts, f.namespace, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	pid := 0
	if c, err := rt.Load(f.id); err == nil {
		pid = c.State.Pid
		c.Close()
	}
	if err := rt.Delete(f.id, true); err != nil && !isNotExist(err) {
		fmt.Fprintf(os.Stderr, "delete %s: %v\n", f.id, err)
	}
	if err := unmountRootfs(f.bundle); err != nil {
		fmt.Fprintf(os.Stderr, "unmount rootfs of %s: %v\n", f.id, err)
	}
	return writeDeleteResponse(pid)
}

// removeDeadSocket removes the socket of the bundle's shim if no shim
// serves it any more (a shim that was killed could not).
func removeDeadSocket(bundle string) {
	b, err := os.ReadFile(filepath.Join(bundle, "address"))
	if err != nil {
		return
	}
	sock := strings.TrimPrefix(strings.TrimSpace(string(b)), "unix://")
	if filepath.Dir(sock) != socketDir {
		return // not one of ours
	}
	if c, err := net.Dial("unix", sock); err == nil {
		c.Close() // the pod's shim still serves its other tasks
		return
	}
	os.Remove(sock)
}

// writeDeleteResponse tells containerd how the task ended: killed.
func writeDeleteResponse(pid int) error {
	b, err := proto.Marshal(&taskapi.DeleteResponse{Pid: uint32(pid),
		ExitStatus: 128 + uint32(unix.SIGKILL), ExitedAt: timestamppb.Now()})
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(b)
	return err
}

// microseconds logs times to the microsecond, as containerd's own log
// does: the shim's lines are read beside containerd's to time a call's
// steps.
func microseconds(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
		return slog.String(slog.TimeKey, a.Value.Time().UTC().Format("2006-01-02T15:04:05.000000Z07:00"))
	}
	return a
}

// calls counts the calls in flight and when the last ended, for
// memtrim.WhileIdle; Wait, which blocks for a process's life without
// running anything, does not count.
type calls struct{ active, lastDone atomic.Int64 }

// timed logs each call and its duration at debug level (containerd passes
// -debug when its own log level is debug).
func (n *calls) timed(log *slog.Logger) ttrpc.UnaryServerInterceptor {
	return func(ctx context.Context, u ttrpc.Unmarshaler, info *ttrpc.UnaryServerInfo, m ttrpc.Method) (any, error) {
		start := time.Now()
		counted := !strings.HasSuffix(info.FullMethod, "/Wait")
		if counted {
			n.active.Add(1)
		}
		resp, err := m(ctx, u)
		if counted {
			n.lastDone.Store(time.Now().UnixNano())
			n.active.Add(-1)
		}
		log.Debug("call", "method", info.FullMethod, "took", time.Since(start), "err", err)
		return resp, err
	}
}
