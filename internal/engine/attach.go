package engine

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// Attach attaches to a running container's stdio through its monitor.
func (e *Local) Attach(ctx context.Context, ref string, a *AttachOptions) (int, error) {
	c, err := e.Lookup(ref)
	if err != nil {
		return 0, err
	}
	st := e.liveState(c)
	if st.Status != monitor.StatusRunning && st.Status != monitor.StatusPaused {
		return 0, exitErr(ExitEngine, "You cannot attach to a stopped container, start it first")
	}
	return e.attach(ctx, c, a, false)
}

// attach connects to the monitor; with start it then starts the container.
// It returns the container's exit code, or 0 when the user detached.
// Ending ctx ends the attachment (the container runs on).
func (e *Local) attach(ctx context.Context, c *Container, a *AttachOptions, start bool) (int, error) {
	path, done, err := monitor.ShortPath(e.stateDir(c.ID), monitor.AttachSock)
	if err != nil {
		return 0, exitErr(ExitEngine, "attach to %s: %v", c.Name, err)
	}
	conn, err := net.Dial("unix", path)
	done()
	if err != nil {
		return 0, exitErr(ExitEngine, "attach to %s: %v", c.Name, err)
	}
	defer conn.Close()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
			conn.Close()
		case <-finished:
		}
	}()
	var wmu sync.Mutex
	send := func(typ byte, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return monitor.WriteFrame(conn, typ, p)
	}
	detached := make(chan struct{})
	if a.Resize != nil {
		go func() {
			for {
				var sz [2]uint16
				select {
				case v, ok := <-a.Resize:
					if !ok {
						return
					}
					sz = v
				case <-finished:
					return
				}
				var b [4]byte
				binary.BigEndian.PutUint16(b[:], sz[0])
				binary.BigEndian.PutUint16(b[2:], sz[1])
				if send(monitor.FrameResize, b[:]) != nil {
					return
				}
			}
		}()
	}
	if r := e.rec(); r != nil {
		// The replay attaches by the same short path, sends the start,
		// relays the frames; the end's removals are not recorded yet.
		r.Op("attach", filepath.Join(e.stateDir(c.ID), monitor.AttachSock))
	}
	if start {
		if err := send(monitor.FrameStart, nil); err != nil {
			return 0, exitErr(ExitEngine, "attach to %s: %v", c.Name, err)
		}
	}
	if a.Stdin != nil {
		go func() {
			keys := a.DetachKeys
			matched := 0
			buf := make([]byte, 32*1024)
			for {
				n, err := a.Stdin.Read(buf)
				if n > 0 {
					p := buf[:n]
					if a.Tty && len(keys) > 0 {
						for _, b := range p {
							if b == keys[matched] {
								matched++
								if matched == len(keys) {
									close(detached)
									conn.Close()
									return
								}
							} else {
								matched = 0
							}
						}
					}
					if send(monitor.FrameStdin, p) != nil {
						return
					}
				}
				if err != nil {
					send(monitor.FrameCloseStdin, nil)
					return
				}
			}
		}()
	}
	var unmounted <-chan struct{} // unmountRunning's, once started
	for {
		typ, p, err := monitor.ReadFrame(conn)
		if err != nil {
			select {
			case <-detached:
				return 0, nil
			default:
			}
			if err == io.EOF {
				// The monitor went away without an exit frame. Only an
				// exit it recorded is the container's own; otherwise it
				// died (kill -9, OOM) and the exit code is unknown: a
				// run that printed nothing must not look like success.
				st := e.liveState(c)
				if st.Status == monitor.StatusExited && st.Error == "" {
					return st.ExitCode, nil
				}
				if st.MonitorPid != 0 && monitor.Alive(st.MonitorPid, st.MonitorStart) {
					// The monitor lives: it dropped this client, which
					// read nothing for too long.
					return 0, exitErr(ExitEngine, "attach to %s: output cut off: this client fell behind (the container is %s)", c.Name, st.Status)
				}
				return 0, exitErr(ExitEngine, "error waiting for container %s: its monitor died (the container is %s)", c.Name, st.Status)
			}
			return 0, exitErr(ExitEngine, "attach: %v", err)
		}
		switch typ {
		case monitor.FrameStarted:
			if len(p) > 0 {
				e.runtimeFor(c).Kill(c.ID, "KILL", true)
				return 0, runtimeExitError(string(p))
			}
			if a.Started != nil {
				a.Started()
			}
			e.rec().Op("started")
			if c.Host.AutoRemove && unmounted == nil {
				unmounted = e.unmountRunning(c)
			}
		case monitor.FrameStdout:
			if a.Stdout != nil {
				a.Stdout.Write(p)
			}
		case monitor.FrameStderr:
			if a.Stderr != nil {
				a.Stderr.Write(p)
			}
		case monitor.FrameExit:
			f := strings.Fields(string(p))
			code := 0
			if len(f) > 0 {
				code, _ = strconv.Atoi(f[0])
			}
			if r := e.rec(); r != nil {
				r.Op("exit") // the exit frame, "CODE rm+": what follows is its
				if len(f) < 2 || f[1] != "rm+" {
					r.Refuse("an exit frame without rm+")
				}
			}
			if len(f) > 1 && f[1] == "rm" {
				// --rm: the monitor already deleted it from the runtime;
				// removing here saves an exec of jinn in the monitor.
				e.cleanup(c, true)
				e.event(c, "destroy")
				send(monitor.FrameRemoved, nil)
			}
			if len(f) > 1 && f[1] == "rm+" {
				// --rm, told before the runtime's delete: what the delete
				// does not touch goes meanwhile, the rest once it is done.
				deletion := func() {
					rt := e.runtimeFor(c)
					e.rec().Op("waitdeleted", rt.Path, strings.Join(rt.Args("delete", "--force", c.ID), "\x00"), strings.Join(rt.Environ(), "\x00"))
					if !waitDeleted(conn) {
						// The monitor died before its delete was done.
						rt.Delete(c.ID)
					}
					// The runtime's directories are the runtime's
					// record only: they go as soon as it is done.
					e.removeRuntimeDirs(c.ID)
				}
				var deleted <-chan struct{}
				if e.rec() == nil {
					deleted = e.background(deletion)
				}
				netDone := e.cleanupRecords(c, true, unmounted)
				// Its name is free from here: destroy says so before
				// another container may take it.
				e.event(c, "destroy")
				if deleted == nil {
					// Recorded: the wait for the delete after the
					// removals it does not touch (an order the
					// concurrent path can have), so that the replay's
					// removals go while the runtime deletes.
					deleted = e.background(deletion)
				}
				<-deleted
				netDone()
				e.cleanupState(c, false)
				e.rec().Op("removed")
				send(monitor.FrameRemoved, nil)
			}
			return code, nil
		}
	}
}

// waitDeleted reads frames until the monitor says the runtime's delete is
// done; false if the monitor went away first.
func waitDeleted(conn net.Conn) bool {
	for {
		typ, _, err := monitor.ReadFrame(conn)
		if err != nil {
			return false
		}
		if typ == monitor.FrameDeleted {
			return true
		}
	}
}

// requestStart asks the container's waiting monitor to start it, without
// attaching, and returns once it has.
func (e *Local) requestStart(c *Container) error {
	path, done, err := monitor.ShortPath(e.stateDir(c.ID), monitor.AttachSock)
	if err != nil {
		return exitErr(ExitEngine, "start %s: %v", c.Name, err)
	}
	conn, err := net.Dial("unix", path)
	done()
	if err != nil {
		return exitErr(ExitEngine, "start %s: %v", c.Name, err)
	}
	defer conn.Close()
	if err := monitor.WriteFrame(conn, monitor.FrameStart, nil); err != nil {
		return exitErr(ExitEngine, "start %s: %v", c.Name, err)
	}
	for {
		typ, p, err := monitor.ReadFrame(conn)
		if err != nil {
			return exitErr(ExitEngine, "start %s: monitor gone: %v", c.Name, err)
		}
		if typ == monitor.FrameStarted {
			if len(p) > 0 {
				return runtimeExitError(string(p))
			}
			return nil
		}
	}
}
