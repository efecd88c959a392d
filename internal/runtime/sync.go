package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/cgroups"
)

// The parent <-> container protocol, JSON lines on one socket (after the C
// stage of internal/nsexec, when it runs):
//
//	step | parent (create / run / exec)        | child (Init)
//	-----+-------------------------------------+---------------------------------------
//	 0   | [nsexec header; reads "pid"]        | [C: setns, fork]
//	 1   | sends initConfig                    | blocks reading its config
//	     | (exec: joins the cgroup first)      |
//	 2   | create: makes the cgroup, puts the  | create: mounts, devices; before the
//	     | child in it, sends "cgroup"         | first cgroup mount (or step 3) it
//	     |                                     | waits for "cgroup", then unshares
//	     |                                     | the cgroup namespace
//	 3   | runs prestart + createRuntime hooks | sends "hooks" (only if there are any)
//	     | sends "ok"                          | and waits for it
//	 4   |                                     | createContainer hooks, console,
//	     |                                     | pivot_root, masks, sysctl, lookup
//	 5   | writes state.json, pid file         | sends "ready"
//	 6   | create returns                      | create: blocks opening exec.fifo
//	     | start: opens exec.fifo, unlinks it, | for writing, writes one byte and
//	     | reads the byte, then until EOF      | keeps it open (O_CLOEXEC)
//	 7   |                                     | startContainer hooks, user, confine,
//	     |                                     | execve (socket and fifo O_CLOEXEC);
//	     |                                     | a failure is written to the fifo
//	 8   | start: EOF (execve done) or an      |
//	     | error text; run: EOF on the socket; |
//	     | then poststart hooks                |
//	exec | after "ready", EOF means execve     | an execve failure sends "error"
//	     | worked                              |
//
// Until execve the init is named initComm: Status reads "created" only
// while it is and exec.fifo exists.
//
// Any failure in the child sends {"type":"error","msg":...} and exits 1;
// the parent kills the child and removes everything it made.
//
// With the C init (cinit.go, internal/nsexec/cinit.go) steps 1-2 are its
// plan instead of initConfig and "cgroup" (the plan's second part means
// the cgroups are ready); steps 3-8 are the same messages.
type message struct {
	Type msgType `json:"type"`
	Pid  int     `json:"pid,omitempty"`
	Msg  string  `json:"msg,omitempty"`
}

// msgType names a message of the table above.
type msgType string

const (
	msgPid    msgType = "pid"    // step 0: the C stage's child pid (written by nsexec.c)
	msgCgroup msgType = "cgroup" // step 2: the child is in its cgroup
	msgHooks  msgType = "hooks"  // step 3: the child waits for the parent's hooks
	msgOK     msgType = "ok"     // step 3: the hooks ran
	msgReady  msgType = "ready"  // step 5: the container is set up
	msgError  msgType = "error"  // any step: the child failed, Msg says why
)

// initConfig is everything the container side needs, sent in step 1.
type initConfig struct {
	Config json.RawMessage `json:"config"` // config.json as read
	// Process replaces config's (exec). Raw, like Config: encoding a
	// specs type costs the parent a reflection walk of all of it.
	Process    json.RawMessage `json:"process,omitempty"`
	ExtraEnv   []string        `json:"extra_env,omitempty"`
	Rootfs     string          `json:"rootfs"`
	Bundle     string          `json:"bundle"`
	Exec       bool            `json:"exec,omitempty"` // a process joining a running container
	NoPivot    bool            `json:"no_pivot,omitempty"`
	NewKeyring bool            `json:"new_keyring,omitempty"`
	FifoFd     int             `json:"fifo_fd"`             // -1: run, start at once
	ConsoleFd  int             `json:"console_fd"`          // -1: no terminal
	ExtraFds   int             `json:"extra_fds"`           // preserved fds at 3..3+ExtraFds-1
	RootfsFd   int             `json:"rootfs_fd,omitempty"` // an idmapped rootfs to move in (idmap.go)
	MountFds   map[int]int     `json:"mount_fds,omitempty"` // idmapped bind mounts by mount index (idmap.go)
	State      specs.State     `json:"state"`               // for in-container hooks
	// CgroupTasks are the v1 tasks files the init writes "0" to first
	// thing (joinsCgroupLate).
	CgroupTasks []string `json:"cgroup_tasks,omitempty"`
	// CgroupMounts are the host's cgroup mounts for the container's own
	// /sys/fs/cgroup, when its mount namespace is a new copy of ours.
	CgroupMounts []cgroups.Mount `json:"cgroup_mounts,omitempty"`
	ExtraGroups  []uint32        `json:"-"`
}

type conn struct {
	f   *os.File
	dec *json.Decoder
}

func newConn(f *os.File) *conn { return &conn{f: f, dec: json.NewDecoder(f)} }

// send writes one message (see jsonenc.go: no encoding/json on this path).
func (c *conn) send(m message) error { return c.write(m.marshal()) }

func (c *conn) write(line []byte) error {
	_, err := c.f.Write(append(line, '\n'))
	return err
}

// recv reads one message; an "error" message becomes the error.
func (c *conn) recv() (message, error) {
	var m message
	if err := c.dec.Decode(&m); err != nil {
		if err == io.EOF {
			return m, io.EOF
		}
		return m, fmt.Errorf("read from container init: %w", err)
	}
	if m.Type == msgError {
		return m, fmt.Errorf("%s", m.Msg)
	}
	return m, nil
}

// closed reads the init's last word after "ready": nil if its socket
// closed (execve, or death, which the caller's wait tells apart), the
// init's error otherwise. A close with bytes of ours still unread in the
// init's queue reads as ECONNRESET rather than EOF, after any message the
// init sent before it; either way the init is gone from the socket, so
// both mean the same here. (Which bytes were left unread is not known: see
// create.go on the reverted cgroup-mounts hand-over.)
func (c *conn) closed(what string) error {
	m, err := c.recv()
	switch {
	case err == io.EOF || errors.Is(err, syscall.ECONNRESET):
		return nil
	case err == nil:
		return fmt.Errorf("%s sent an unexpected message %q", what, m.Type)
	}
	return err
}

func (c *conn) expect(t msgType) (message, error) {
	m, err := c.recv()
	if err == io.EOF {
		return m, fmt.Errorf("container init exited before %q", t)
	}
	if err == nil && m.Type != t {
		err = fmt.Errorf("container init sent %q, want %q", m.Type, t)
	}
	return m, err
}
