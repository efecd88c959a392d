package engine

import (
	"runtime"
	"sync"
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
	// await and awaitNet, if not nil, are the answers instead of mon and
	// net: a recorded run's (beginRecorded), awaited where Start needs
	// them.
	await    func() error
	awaitNet func() netResult
}

// monitorErr is the monitor's answer to its start.
func (s *earlyStart) monitorErr() error {
	if s.await != nil {
		return s.await()
	}
	return <-s.mon
}

// netFn is the network side's result, read once; nil if Start makes it.
func (s *earlyStart) netFn() func() netResult {
	if s.awaitNet != nil {
		return s.awaitNet
	}
	if s.net == nil {
		return nil
	}
	return onceNet(s.net)
}

func onceNet(ch <-chan netResult) func() netResult {
	return sync.OnceValue(func() netResult { return <-ch })
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
	var s *earlyStart
	if e.rec() != nil {
		s = e.beginRecorded(c)
		s.c = c
	} else {
		mon := make(chan error, 1)
		go func() { mon <- e.spawnMonitor(c, false) }()
		s = &earlyStart{c: c, mon: mon, net: e.setupNet(c)}
		// The monitor's start is the long pole of a run's start: let its
		// goroutine run now rather than when this one next blocks.
		runtime.Gosched()
	}
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
	r := s.netFn()()
	e.undoNetns(c, r.path)
	s.monitorErr()
	e.endMonitors(c.ID)
}

// beginRecorded is beginStart for a recorded run (internal/cliplan): one
// step after another, in an order the concurrent path can have, and one
// the replay overlaps: the namespace (the replay makes it in a child) and
// the monitor's start here; the namespace's end ("netwait", then the
// network's files) and the monitor's word are awaited (and recorded) only
// where Start needs them, so that the replay's namespace and monitor come
// up while the snapshot is made and mounted and the bundle written.
func (e *Local) beginRecorded(c *Container) *earlyStart {
	p, err := e.containerNetns(c)
	await, merr := e.startMonitor(c, false)
	if merr != nil {
		await = func() error { return merr }
	}
	return &earlyStart{
		await: sync.OnceValue(await),
		awaitNet: sync.OnceValue(func() netResult {
			if err == nil {
				e.rec().Op("netwait")
				err = e.writeNetFiles(c)
			}
			return netResult{p, err}
		}),
	}
}
