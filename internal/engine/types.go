package engine

import (
	"time"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// Container is a container's configuration, written once at create (only
// Name changes, by rename); its mutable state is monitor.State.
type Container struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Created  time.Time       `json:"created"`
	Image    string          `json:"image"`            // as the user gave it
	ImageID  string          `json:"image_id"`         // sha256:...
	Rootfs   string          `json:"rootfs,omitempty"` // --rootfs: a plain directory
	Snapshot string          `json:"snapshot,omitempty"`
	Path     string          `json:"path"`
	Args     []string        `json:"args"`
	Config   ContainerConfig `json:"config"`
	Host     HostConfig      `json:"host"`
	Runtime  string          `json:"runtime"` // runtime binary, resolved at create
	// CgroupParent is the cgroup the container's goes under, resolved at
	// create: its own --cgroup-parent, else the engine's (jinn's global
	// flag) then, so that a later command run with another global flag
	// still finds the container's cgroup.
	CgroupParent string       `json:"cgroup_parent,omitempty"`
	Mounts       []MountPoint `json:"mounts,omitempty"`
	LogPath      string       `json:"log_path"`
	// Damage says why the config could not be read; the rest is what
	// could be recovered (damaged.go). Never stored.
	Damage string `json:"-"`
	// Warnings are what create discarded or ignored, as dockerd's
	// create response has them. Never stored.
	Warnings []string `json:"-"`
}

// ContainerConfig is docker's Config: what the container runs.
type ContainerConfig struct {
	Hostname    string            `json:"Hostname"`
	Domainname  string            `json:"Domainname,omitempty"`
	User        string            `json:"User"`
	Env         []string          `json:"Env"`
	Cmd         []string          `json:"Cmd"`
	Entrypoint  []string          `json:"Entrypoint"`
	WorkingDir  string            `json:"WorkingDir"`
	Labels      map[string]string `json:"Labels"`
	Tty         bool              `json:"Tty"`
	OpenStdin   bool              `json:"OpenStdin"`
	StopSignal  string            `json:"StopSignal,omitempty"`
	StopTimeout *int              `json:"StopTimeout,omitempty"`
	Healthcheck *Healthcheck      `json:"Healthcheck,omitempty"`
}

// Healthcheck is docker's health check config.
type Healthcheck struct {
	Test        []string      `json:"Test"`
	Interval    time.Duration `json:"Interval"`
	Timeout     time.Duration `json:"Timeout"`
	StartPeriod time.Duration `json:"StartPeriod"`
	Retries     int           `json:"Retries"`
	// StartInterval is how often the check runs during StartPeriod.
	StartInterval time.Duration `json:"StartInterval,omitempty"`
}

// HostConfig is docker's HostConfig: how the host runs it.
type HostConfig struct {
	Binds          []string          `json:"Binds"`
	Tmpfs          map[string]string `json:"Tmpfs,omitempty"`
	ReadonlyRootfs bool              `json:"ReadonlyRootfs"`
	AutoRemove     bool              `json:"AutoRemove"`
	Privileged     bool              `json:"Privileged"`
	CapAdd         []string          `json:"CapAdd"`
	CapDrop        []string          `json:"CapDrop"`
	SecurityOpt    []string          `json:"SecurityOpt"`
	Init           bool              `json:"Init,omitempty"`
	OomScoreAdj    int               `json:"OomScoreAdj"`
	RestartPolicy  RestartPolicy     `json:"RestartPolicy"`
	LogConfig      LogConfig         `json:"LogConfig"`
	Runtime        string            `json:"Runtime"`
	StorageOpt     map[string]string `json:"StorageOpt,omitempty"`
	NetworkMode    string            `json:"NetworkMode"`
	// ConsoleSize is the terminal's [height, width] at create (API
	// clients give it there; the CLI sends it with its attach).
	ConsoleSize [2]uint `json:"ConsoleSize,omitempty"`
	NetConfig
	Resources
	HostExtras
}

// Resources are docker's resource fields of HostConfig.
type Resources struct {
	Memory              int64            `json:"Memory"`
	MemorySwap          int64            `json:"MemorySwap"`
	MemoryReservation   int64            `json:"MemoryReservation"`
	NanoCpus            int64            `json:"NanoCpus"`
	CPUShares           int64            `json:"CpuShares"`
	CpusetCpus          string           `json:"CpusetCpus"`
	PidsLimit           *int64           `json:"PidsLimit"`
	BlkioWeight         uint16           `json:"BlkioWeight"`
	BlkioDeviceReadBps  []ThrottleDevice `json:"BlkioDeviceReadBps"`
	BlkioDeviceWriteBps []ThrottleDevice `json:"BlkioDeviceWriteBps"`
	OomKillDisable      *bool            `json:"OomKillDisable"`
	Ulimits             []Ulimit         `json:"Ulimits"`
	ResourceExtras
	BlkioExtras
	RealtimeExtras
}

// ThrottleDevice is a --device-read-bps/--device-write-bps entry.
type ThrottleDevice struct {
	Path string `json:"Path"`
	Rate uint64 `json:"Rate"`
}

// Ulimit is a --ulimit entry.
type Ulimit struct {
	Name string `json:"Name"`
	Soft int64  `json:"Soft"`
	Hard int64  `json:"Hard"`
}

// RestartPolicy is --restart.
type RestartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount int    `json:"MaximumRetryCount"`
}

// LogConfig is --log-opt (the json-file driver only).
type LogConfig struct {
	Type   string            `json:"Type"`
	Config map[string]string `json:"Config"`
}

// MountPoint is one mount the container gets: docker's Mounts entry.
type MountPoint struct {
	Type        string `json:"Type"` // bind, volume, tmpfs
	Name        string `json:"Name,omitempty"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
	Options     string `json:"TmpfsOptions,omitempty"`
	Anonymous   bool   `json:"Anonymous,omitempty"`
}

// View is a container with its live state, as ps and inspect show it.
type View struct {
	*Container
	State *monitor.State
}
