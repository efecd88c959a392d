package shim

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jinn-containers/jinn/internal/memtrim"
	"golang.org/x/sys/unix"
)

// A pod's shim is a process of its own, and its Go start (~2.5 ms of
// CPU: the runtime, package inits, 450 page faults) was the largest
// part of the shim's start in every RunPodSandbox. A spare is a shim
// started ahead, a while after a pod's first task started, that waits to serve the
// next pod, and only one: once it takes a pod it is that pod's shim like
// any other, and starts the next spare. Nothing is shared between pods.
//
//	the spare                             | containerd's start (startfork.c)
//	--------------------------------------+-------------------------------------
//	listens on socketDir/jinn-spare-HASH  |
//	  (HASH: FNV-1a of its key: containerd's addresses, namespace, flags,
//	  the binary's device and inode)      |
//	                                      | connects, sends key, bundle, id
//	checks the peer is root and the key,  |
//	chdirs to the bundle, listenGroup     |
//	  as a forked start does              |
//	answers "0" and the address           | prints the address, exits
//	  (the pod already had a shim: stays  |
//	  the spare)                          |
//	closes and removes its socket, serves |
//
// A spare lives as long as containerd's ttrpc connection: it goes when
// containerd does (and so in tests, which stop their containerd), and a
// restarted containerd gets a fresh one. An upgraded binary has another
// inode, so a start of the new binary passes an old spare over, which then
// exits. JINN_SHIM_SPARE=0 turns spares off (sparesOn).

// spareDelay is how long after its first task started a pod's shim starts
// the next spare.
const spareDelay = 100 * time.Millisecond

// spareKey is what a start and a spare must share: the flags, containerd's
// ttrpc address and this binary.
func spareKey(f flags, ttrpc string) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return "", err
	}
	debug := 0
	if f.debug {
		debug = 1
	}
	return fmt.Sprintf("jinn-spare/1\x00%s\x00%s\x00%s\x00%d\x00%s\x00%d:%d", f.address, f.namespace, f.publishBinary,
		debug, ttrpc, st.Dev, st.Ino), nil
}

func spareSocket(key string) string {
	h := fnv.New64a()
	io.WriteString(h, key)
	return filepath.Join(socketDir, fmt.Sprintf("jinn-spare-%016x", h.Sum64()))
}

// sparesOn tells whether this shim starts spares: containerd gives a
// ttrpc address, and JINN_SHIM_SPARE is not 0 in its environment.
func sparesOn() bool {
	return os.Getenv("TTRPC_ADDRESS") != "" && os.Getenv("JINN_SHIM_SPARE") != "0"
}

// startSpare starts a spare for the flags' containerd and namespace, if
// there is none, in its own session; it outlives us (once an orphan, a
// subreaper above reaps it, as containerd does its shims).
func startSpare(f flags) error {
	key, err := spareKey(f, os.Getenv("TTRPC_ADDRESS"))
	if err != nil {
		return err
	}
	if c, err := net.Dial("unix", spareSocket(key)); err == nil {
		c.Close()
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := []string{"-namespace", f.namespace, "-address", f.address, "-publish-binary", f.publishBinary}
	if f.debug {
		args = append(args, "-debug")
	}
	cmd := exec.Command(self, append(args, "spare")...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	// Our child until it exits: reapStrays collects it then.
	return cmd.Process.Release()
}

// spare waits to become a pod's shim, then serves it.
func spare(f flags) error {
	ttrpcAddr := os.Getenv("TTRPC_ADDRESS")
	key, err := spareKey(f, ttrpcAddr)
	if err != nil {
		return err
	}
	sock := spareSocket(key)
	if c, err := net.Dial("unix", sock); err == nil {
		c.Close()
		return nil // there is one already
	}
	os.Remove(sock) // a dead spare's
	if err := os.MkdirAll(socketDir, 0o711); err != nil {
		return err
	}
	nl, err := net.Listen("unix", sock)
	if err != nil {
		return nil // another spare won the race
	}
	l := nl.(*net.UnixListener)
	os.Chmod(sock, 0o600)
	var mu sync.Mutex // held by a takeover: containerd's going does not exit then
	gone := func() {
		mu.Lock()
		os.Remove(sock)
		os.Exit(0)
	}
	cc, err := net.Dial("unix", strings.TrimPrefix(ttrpcAddr, "unix://"))
	if err != nil {
		os.Remove(sock)
		return nil
	}
	go func() {
		io.Copy(io.Discard, cc)
		gone()
	}()
	// It may wait long: it holds no more than a pod's idle shim (its code
	// faults back in from the page cache when it takes a pod).
	debug.FreeOSMemory()
	memtrim.Text()
	for {
		c, err := l.Accept()
		if err != nil {
			gone()
		}
		mu.Lock()
		st := startSteps(f.debug)
		pod, listener, ok := takeover(f, key, c.(*net.UnixConn), st)
		if !ok {
			mu.Unlock()
			continue
		}
		l.Close()
		os.Remove(sock)
		cc.Close()
		f.id = pod
		return serve(f, listener, st.String())
	}
}

// takeover answers one start: ok if this spare now serves the pod it
// named (listener is the pod's socket).
func takeover(f flags, key string, c *net.UnixConn, st *steps) (id string, listener net.Listener, ok bool) {
	defer c.Close()
	reply := func(s string) { c.Write([]byte(s)) }
	raw, err := c.SyscallConn()
	if err != nil {
		return "", nil, false
	}
	var cred *unix.Ucred
	raw.Control(func(fd uintptr) { cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) })
	if err != nil || cred.Uid != 0 {
		return "", nil, false
	}
	c.SetDeadline(time.Now().Add(2 * time.Second))
	req, err := io.ReadAll(io.LimitReader(c, 16<<10))
	if err != nil {
		return "", nil, false
	}
	st.mark("request")
	parts := bytes.Split(req, []byte{0})
	// The key has 7 parts, then the bundle and the id, each ended by a NUL.
	if len(parts) != 10 || len(parts[9]) != 0 {
		reply("1spare: bad request")
		return "", nil, false
	}
	if string(bytes.Join(parts[:7], []byte{0})) != key {
		// Another binary or containerd with the same hash: not ours to
		// serve, and no start will want this spare.
		reply("1spare: another key")
		os.Remove(spareSocket(key))
		os.Exit(0)
	}
	bundle, id := string(parts[7]), string(parts[8])
	if !filepath.IsAbs(bundle) || id == "" {
		reply("1spare: bad request")
		return "", nil, false
	}
	if err := os.Chdir(bundle); err != nil {
		reply("1spare: " + err.Error())
		return "", nil, false
	}
	st.mark("chdir")
	f.id = id
	addr, l, err := claimGroup(f)
	st.mark("claim")
	if err != nil {
		os.Chdir("/")
		reply("1containerd-shim-jinn-v2: " + err.Error())
		return "", nil, false
	}
	reply("0" + addr)
	st.mark("reply")
	if l == nil { // the pod has its shim: stay the spare
		os.Chdir("/")
		return "", nil, false
	}
	return id, l, true
}
