package engine

import (
	"runtime"
)

// earlyStart is the start of an attached --rm run (docker's `run --rm`
// without -d) begun inside its create, as soon as the container's records
// exist: the monitor (a Go process start) comes up and the network
// namespace is made while the create prepares the snapshot and mounts the
// root filesystem. Start then only writes the bundle and asks the monitor
// to run it. Nothing of it is visible before the start: the monitor
// waits for its start request, and an error of either side is reported
// by Start, as if Start had begun them.
type earlyStart struct {
	c   *Container       // as Create wrote it: Start need not read it back
	mon <-chan error     // spawnMonitor's answer
	net <-chan netResult // the network namespace and its files
}

type netResult struct {
	path string
	err  error
}

// setupNet makes the container's network namespace (for a bridge, its
// veth, address, routes and rules) and its hosts files, in the background.
func (e *Local) setupNet(c *Container) <-chan netResult {
	ch := make(chan netResult, 1)
	go func() {
		p, err := e.containerNetns(c)
		if err == nil {
			err = e.writeNetFiles(c)
		}
		ch <- netResult{p, err}
	}()
	return ch
}

// beginStart starts the monitor and the network of a container that its
// creator runs attached at once; Start (prepareEarly) takes them over,
// a failed create ends them (abandonStart).
func (e *Local) beginStart(c *Container) {
	mon := make(chan error, 1)
	go func() { mon <- e.spawnMonitor(c, false) }()
	s := &earlyStart{c: c, mon: mon, net: e.setupNet(c)}
	// The monitor's start is the long pole of a run's start: let its
	// goroutine run now rather than when this one next blocks.
	runtime.Gosched()
	e.earlyMu.Lock()
	if e.early == nil {
		e.early = map[string]*earlyStart{}
	}
	e.early[c.ID] = s
	e.earlyMu.Unlock()
}

// earlyContainer is the container whose start Create began, by its full
// id: the one the early start's monitor and network were made for, so
// Start uses it rather than reading back (and decoding) the record Create
// just wrote. nil if none.
func (e *Local) earlyContainer(ref string) *Container {
	e.earlyMu.Lock()
	defer e.earlyMu.Unlock()
	if s := e.early[ref]; s != nil {
		return s.c
	}
	return nil
}

// takeEarly hands over the begun start of id, once; nil if none.
func (e *Local) takeEarly(id string) *earlyStart {
	e.earlyMu.Lock()
	defer e.earlyMu.Unlock()
	s := e.early[id]
	delete(e.early, id)
	return s
}

// abandonStart ends what beginStart began for c, if anything: the
// namespace it made and the monitor waiting for its start.
func (e *Local) abandonStart(c *Container) {
	if s := e.takeEarly(c.ID); s != nil {
		e.endEarly(c, s)
	}
}

func (e *Local) endEarly(c *Container, s *earlyStart) {
	r := <-s.net
	e.undoNetns(c, r.path)
	<-s.mon
	e.endMonitors(c.ID)
}
