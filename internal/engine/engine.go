// Package engine is containers as docker users see them: create, start,
// stop, remove, list, logs, exec. It is daemonless: each running container
// has a jinn-monitor (internal/monitor), and the engine drives any OCI
// runtime by its command line. The CLI sees only the Engine interface, so
// it could sit on a remote engine later.
package engine

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/network"
)

// Engine is the seam between the CLI and the containers.
type Engine interface {
	Create(ctx context.Context, o *CreateOptions) (*Container, error)
	// Start starts a created or exited container; with streams it attaches
	// before the container runs and returns the container's exit code.
	Start(ctx context.Context, ref string, a *AttachOptions) (int, error)
	Stop(ctx context.Context, ref string, timeout *int) error
	// StopWith is Stop with another signal than the container's ("" for its own).
	StopWith(ctx context.Context, ref, signal string, timeout *int) error
	// Restart is StopWith, then Start, as one docker "restart".
	Restart(ctx context.Context, ref, signal string, timeout *int) error
	Kill(ctx context.Context, ref, signal string) error
	Remove(ctx context.Context, ref string, force, volumes bool) error
	List(ctx context.Context) ([]*View, error)
	Inspect(ctx context.Context, ref string) (*View, error)
	Logs(ctx context.Context, ref string, o *LogOptions) error
	Exec(ctx context.Context, ref string, o *ExecOptions) (int, error)
	Attach(ctx context.Context, ref string, a *AttachOptions) (int, error)
	Wait(ctx context.Context, ref string) (int, error)
	Pause(ctx context.Context, ref string) error
	Unpause(ctx context.Context, ref string) error
	Rename(ctx context.Context, ref, name string) error
	// RemoveLink is rm --link: a container forgets a legacy link.
	RemoveLink(ctx context.Context, name string) error
	// Update changes a container's limits and restart policy, live.
	Update(ctx context.Context, ref string, u *UpdateConfig) error
	Top(ctx context.Context, ref string) ([]int, error)
	Stats(ctx context.Context, ref string) (*Stats, error)
	CopyTo(ctx context.Context, ref, dst string, tar io.Reader) error
	CopyFrom(ctx context.Context, ref, src string, tar io.Writer) error
	Volumes() *VolumeStore
	Prune(ctx context.Context) ([]string, error)
	// PruneWhere is Prune of the stopped containers keep accepts
	// (--filter until=, label=); nil accepts all.
	PruneWhere(ctx context.Context, keep func(*View) bool) ([]string, error)
	// Boot starts the containers a host start should (always,
	// unless-stopped), as dockerd does when it starts.
	Boot(ctx context.Context) ([]string, error)
	Events() *EventLog

	// Ports are the container's published ports (none when it is not running).
	Ports(ctx context.Context, ref string) ([]network.Port, error)
	// Connect and Disconnect attach a running container to a network and back.
	Connect(ctx context.Context, network, ref string, o *ConnectOptions) error
	Disconnect(ctx context.Context, network, ref string) error
	// Networks is the engine's network manager, for the network commands.
	Networks() (*network.Manager, error)

	// Commit, Changes and Export read a container's writable layer;
	// DiskUsage sums images and containers for system df.
	Commit(ctx context.Context, ref string, o *CommitOptions) (string, error)
	Changes(ctx context.Context, ref string) ([]Change, error)
	Export(ctx context.Context, ref string, w io.Writer) error
	DiskUsage(ctx context.Context) (*DiskUsage, error)
}

// AttachOptions are the CLI's streams for run, start -a and attach.
type AttachOptions struct {
	Stdin      io.Reader // nil: no stdin
	Stdout     io.Writer
	Stderr     io.Writer
	Tty        bool
	DetachKeys []byte // ctrl-p ctrl-q by default
	Resize     <-chan [2]uint16
	SigProxy   bool
	// Started, if set, is called once the container runs (a start through
	// an attach), so an API caller can answer its start request.
	Started func()
}

// Local is the engine on this machine.
type Local struct {
	cfg    Config
	images Images
	net    NetworkSetup
	vols   *VolumeStore
	events *EventLog

	// The network manager, opened once on first use.
	netOnce sync.Once
	netMgr  *network.Manager
	netErr  error

	// The host's cgroup hierarchies, detected once (see cgroupLayout).
	layoutOnce sync.Once
	layout     *cgroups.Layout
	layoutErr  error

	// Starts begun by Create for an attached --rm run (earlystart.go).
	earlyMu sync.Mutex
	early   map[string]*earlyStart
}

// cgroupLayout is the host's cgroup hierarchies, looked up on first use
// and remembered in the run root while they hold (DetectLayoutCached):
// detecting reads all of /proc/self/mountinfo (3-13 ms of CPU on a host
// with a thousand mounts), and a run needs them at its start (the
// monitor's OOM files) and at its end (the empty parents).
func (e *Local) cgroupLayout() (*cgroups.Layout, error) {
	e.layoutOnce.Do(func() {
		e.layout, e.layoutErr = cgroups.DetectLayoutCached(filepath.Join(e.cfg.RunRoot, "cgroup-layout.json"))
	})
	return e.layout, e.layoutErr
}

// New returns the local engine; images may be nil (then only --rootfs works).
func New(cfg Config, images Images) (*Local, error) {
	if images == nil {
		images = noImages{}
	}
	if cfg.Self == "" {
		cfg.Self, _ = os.Executable()
	}
	if cfg.Monitor == "" {
		cfg.Monitor = filepath.Join(filepath.Dir(cfg.Self), "jinn-monitor")
	}
	for _, d := range []string{filepath.Join(cfg.Root, "containers"), filepath.Join(cfg.RunRoot, "containers")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	e := &Local{cfg: cfg, images: images}
	e.net = bridgeNet{e}
	e.vols = &VolumeStore{dir: filepath.Join(cfg.Root, "volumes"), inUse: e.volumeUsers}
	e.events = &EventLog{path: filepath.Join(cfg.Root, "events.log")}
	return e, nil
}

func (e *Local) List(context.Context) ([]*View, error)                { return e.list() }
func (e *Local) Inspect(_ context.Context, ref string) (*View, error) { return e.inspect(ref) }
func (e *Local) Volumes() *VolumeStore                                { return e.vols }
func (e *Local) Events() *EventLog                                    { return e.events }
