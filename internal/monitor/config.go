// Package monitor is the per-container monitor: a small process that outlives
// the jinn CLI, holds the container's stdio, writes its logs, records how it
// ended, applies its restart policy and health checks, and serves attach.
//
// cmd/jinn-monitor-c is this monitor again in C, the one containers get
// (internal/engine/monitorpick.go): it reads and writes the
// same files and speaks the same protocols, so a change to any of them
// (Config, State and their codec, the json-file log, events, the attach
// frames, the start-up protocol below) is made in both;
// test/engine_cmon_test.go holds the two to the same output.
//
// The monitor imports only the standard library and x/sys so that its
// resident size stays near conmon's; the engine talks to it through files in
// the container's state directory and the attach socket, never through Go
// calls.
//
// Start-up protocol (engine ↔ monitor):
//
//	engine: writes monitor.conf and the OCI bundle, spawns jinn-monitor with
//	        setsid and a sync pipe on fd 3
//	monitor: becomes child subreaper, listens on attach.sock; with
//	        Config.Start runs `runtime run --detach`, writes the state and
//	        "ok <pid>\n" or "error <msg>\n" to fd 3; without (an attached
//	        start) writes "ok 0\n" at once and waits for FrameStart
//	engine: reads fd 3 to EOF; anything but "ok" is a failed start;
//	        attached: connects to attach.sock, sends FrameStart, and the
//	        monitor's `runtime run --detach` answers with FrameStarted
//	        (empty, or the error)
//	monitor: waits for the container's init (reparented to it), drains its
//	        output, records exit code/OOM/finish time, restarts it or calls
//	        `runtime delete`, runs Config.Cleanup for --rm, tells attached
//	        clients the exit code and exits.
package monitor

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jinn-containers/jinn/internal/atomicfile"
)

// Files in a container's state directory.
const (
	ConfigFile = "monitor.conf"
	StateFile  = "state"
	LockFile   = "lock"
	AttachSock = "attach.sock"
	StopMarker = "stopped-by-user" // jinn stop/kill: the restart policy must not restart
)

// Config is what the engine tells a monitor; written once before it starts.
type Config struct {
	ID    string `json:"id"`
	Name  string `json:"name"`  // for events
	Image string `json:"image"` // for events
	// EventAttrs are more "key=value" attributes of its events (the
	// container's labels, as docker records them).
	EventAttrs  []string `json:"event_attrs,omitempty"`
	Events      string   `json:"events"`       // the engine's events file: die and oom are appended
	Runtime     string   `json:"runtime"`      // OCI runtime binary
	RuntimeArgs []string `json:"runtime_args"` // global args, e.g. --root DIR
	Bundle      string   `json:"bundle"`
	StateDir    string   `json:"state_dir"`
	LogPath     string   `json:"log_path"`
	LogMaxSize  int64    `json:"log_max_size,omitempty"` // bytes; 0: unlimited
	LogMaxFiles int      `json:"log_max_files,omitempty"`
	Tty         bool     `json:"tty,omitempty"`
	Stdin       bool     `json:"stdin,omitempty"` // -i: keep a stdin pipe for attach
	Start       bool     `json:"start,omitempty"` // start right after create
	Restart     Restart  `json:"restart"`
	Health      *Health  `json:"health,omitempty"`
	// OOMFiles are the cgroup files with the OOM kill counter (v1
	// memory.oom_control, v2 memory.events); read before delete.
	OOMFiles []string `json:"oom_files,omitempty"`
	// Cleanup runs after the container ended for good (--rm: jinn rm -f).
	Cleanup []string `json:"cleanup,omitempty"`
	// OnExit runs after the container ended for good, before an attached
	// client hears of it, whether or not one is attached (network teardown).
	OnExit []string `json:"on_exit,omitempty"`
}

// Restart is the restart policy: no, on-failure (with Max), always, unless-stopped.
type Restart struct {
	Name string `json:"name"`
	Max  int    `json:"max,omitempty"`
}

// Health is a health check: Test runs inside the container via `runtime exec`.
type Health struct {
	Test        []string      `json:"test"`
	Interval    time.Duration `json:"interval"`
	Timeout     time.Duration `json:"timeout"`
	StartPeriod time.Duration `json:"start_period"`
	Retries     int           `json:"retries"`
	// StartInterval, when set, is the interval during StartPeriod.
	StartInterval time.Duration `json:"start_interval"`
}

// A container's Status, in docker's words.
const (
	StatusCreated    = "created"
	StatusRunning    = "running"
	StatusPaused     = "paused"
	StatusRestarting = "restarting"
	StatusExited     = "exited"
)

// State is the container's mutable state, shared by the monitor and the
// engine; every writer holds the lock file. Config and State are stored
// in a small line format (codec.go), not JSON: the monitor then runs no
// reflection, which keeps its resident size down.
type State struct {
	Status       string       `json:"status"` // one of the Status constants
	Pid          int          `json:"pid"`
	MonitorPid   int          `json:"monitor_pid"`
	MonitorStart uint64       `json:"monitor_start"` // start time in clock ticks, against pid reuse
	ExitCode     int          `json:"exit_code"`
	OOMKilled    bool         `json:"oom_killed"`
	Error        string       `json:"error,omitempty"`
	StartedAt    time.Time    `json:"started_at"`
	FinishedAt   time.Time    `json:"finished_at"`
	RestartCount int          `json:"restart_count"`
	Deleted      bool         `json:"deleted"` // the monitor ran the runtime's delete
	Health       *HealthState `json:"health,omitempty"`
}

// HealthState is docker's State.Health.
type HealthState struct {
	Status        string      `json:"Status"`
	FailingStreak int         `json:"FailingStreak"`
	Log           []HealthLog `json:"Log"`
}

// HealthLog is one health check run.
type HealthLog struct {
	Start    time.Time `json:"Start"`
	End      time.Time `json:"End"`
	ExitCode int       `json:"ExitCode"`
	Output   string    `json:"Output"`
}

// ReadConfig loads a monitor's config.
func ReadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeConfig(b)
}

// WriteConfig writes a monitor's config (the engine's side).
func WriteConfig(path string, c *Config) error {
	return atomicfile.WriteFile(path, encodeConfig(c), 0o600)
}

// ReadState loads the state file; a missing file is the zero State.
func ReadState(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return &State{}, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeState(b)
}

// Lock takes the container's lock (flock on dir/lock); the returned func
// releases it.
func Lock(dir string) (func(), error) {
	fd, err := syscall.Open(filepath.Join(dir, LockFile), syscall.O_CREAT|syscall.O_RDWR|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, errors.New("open lock of " + dir + ": " + err.Error())
	}
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return nil, errors.New("lock " + dir + ": " + err.Error())
	}
	return func() { syscall.Close(fd) }, nil
}

// UpdateState changes state.json under the container's lock.
func UpdateState(dir string, f func(*State)) (*State, error) {
	unlock, err := Lock(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s, err := ReadState(dir)
	if err != nil {
		return nil, err
	}
	f(s)
	return s, atomicfile.WriteFile(filepath.Join(dir, StateFile), encodeState(s), 0o600)
}

// ProcStart returns a process's start time in clock ticks (field 22 of
// /proc/PID/stat), 0 if it does not exist.
func ProcStart(pid int) uint64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// comm may hold spaces and parentheses: fields start after the last ')'.
	i := len(b) - 1
	for i >= 0 && b[i] != ')' {
		i--
	}
	field, n := 2, uint64(0)
	for _, c := range b[i+1:] {
		if c == ' ' {
			field++
			continue
		}
		if field == 22 {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + uint64(c-'0')
		}
		if field > 22 {
			break
		}
	}
	return n
}

// Alive reports whether the process pid with the given start time runs.
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	s := ProcStart(pid)
	if s == 0 {
		return false
	}
	if start != 0 && s != start {
		return false
	}
	// A zombie is not alive.
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := len(b) - 1
	for i >= 0 && b[i] != ')' {
		i--
	}
	return i+2 < len(b) && b[i+2] != 'Z'
}
