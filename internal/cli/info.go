package cli

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// infoJSON is docker's `info` document (the fields jinn knows), with
// ClientInfo as docker's CLI adds it.
type infoJSON struct {
	ID                 string
	Containers         int
	ContainersRunning  int
	ContainersPaused   int
	ContainersStopped  int
	Images             int
	Driver             string
	DriverStatus       [][2]string
	Plugins            map[string][]string
	MemoryLimit        bool
	SwapLimit          bool
	CpuCfsPeriod       bool //nolint:revive // docker's name
	CpuCfsQuota        bool //nolint:revive // docker's name
	CPUShares          bool
	CPUSet             bool
	PidsLimit          bool
	IPv4Forwarding     bool
	Debug              bool
	NFd                int
	OomKillDisable     bool
	NGoroutines        int
	SystemTime         string
	LoggingDriver      string
	CgroupDriver       string
	CgroupVersion      string
	NEventsListener    int
	KernelVersion      string
	OperatingSystem    string
	OSVersion          string
	OSType             string
	Architecture       string
	IndexServerAddress string
	NCPU               int
	MemTotal           int64
	DockerRootDir      string
	Name               string
	Labels             []string
	ExperimentalBuild  bool
	ServerVersion      string
	Runtimes           map[string]map[string]string
	DefaultRuntime     string
	LiveRestoreEnabled bool
	Isolation          string
	InitBinary         string
	SecurityOptions    []string
	Warnings           []string
	// Swarm and the commits are docker's shape for scripts that ask
	// ({{.Swarm.LocalNodeState}} is "inactive": jinn has no swarm).
	Swarm            swarmJSON
	RegistryConfig   registryJSON
	ContainerdCommit commitJSON
	RuncCommit       commitJSON
	InitCommit       commitJSON
	ClientInfo       clientInfoJSON
}

type swarmJSON struct {
	NodeID, NodeAddr, LocalNodeState, Error string
	ControlAvailable                        bool
	RemoteManagers                          any
}

type registryJSON struct {
	InsecureRegistryCIDRs []string
	IndexConfigs          map[string]any
	Mirrors               []string
}

type commitJSON struct{ ID string }

type clientInfoJSON struct {
	Debug     bool
	Version   string
	GoVersion string
	GitCommit string
	Os        string
	Arch      string
	Context   string
	Plugins   []any
	Warnings  []string
}

func newInfoCmd(o *Options) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Display system-wide information",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			info, err := systemInfo(c, o)
			if err != nil {
				return err
			}
			if format != "" {
				fm, err := newFormatter(c.OutOrStdout(), format, nil)
				if err != nil {
					return err
				}
				return fm.row(info)
			}
			printInfo(c.OutOrStdout(), info, o)
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", formatHelpJSON)
	return c
}

func systemInfo(c *cobra.Command, o *Options) (*infoJSON, error) {
	e, err := o.engine()
	if err != nil {
		return nil, err
	}
	vs, err := e.List(c.Context())
	if err != nil {
		return nil, err
	}
	info := &infoJSON{Driver: "overlay", LoggingDriver: "json-file", CgroupDriver: "cgroupfs", CgroupVersion: "1",
		DriverStatus: [][2]string{}, OSType: "linux", NCPU: runtime.NumCPU(), DockerRootDir: o.Root,
		ServerVersion: Version, DefaultRuntime: o.Runtime, Runtimes: map[string]map[string]string{o.Runtime: {"path": o.Runtime}},
		Plugins:     map[string][]string{"Volume": {"local"}, "Network": {"bridge", "host", "none"}, "Log": {"json-file"}},
		MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
		NGoroutines: runtime.NumGoroutine(), SystemTime: time.Now().Format(time.RFC3339Nano),
		IndexServerAddress: "https://index.docker.io/v1/", Labels: []string{}, InitBinary: "jinn-init",
		SecurityOptions: []string{"name=seccomp,profile=builtin"}, Warnings: []string{},
		Swarm:          swarmJSON{LocalNodeState: "inactive"},
		RegistryConfig: registryJSON{InsecureRegistryCIDRs: []string{"127.0.0.0/8", "::1/128"}, IndexConfigs: map[string]any{}, Mirrors: []string{}},
		ClientInfo: clientInfoJSON{Version: Version, GoVersion: runtime.Version(), GitCommit: gitCommit(), Os: runtime.GOOS,
			Arch: runtime.GOARCH, Context: "default", Plugins: []any{}, Warnings: []string{}},
	}
	info.Containers = len(vs)
	for _, v := range vs {
		switch v.State.Status {
		case monitor.StatusRunning, monitor.StatusRestarting:
			info.ContainersRunning++
		case monitor.StatusPaused:
			info.ContainersPaused++
		default:
			info.ContainersStopped++
		}
	}
	if st, err := openImageStore(o); err == nil {
		if imgs, err := st.List(); err == nil {
			info.Images = len(imgs)
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		info.CgroupVersion = "2"
	}
	var uts unix.Utsname
	unix.Uname(&uts)
	info.KernelVersion = unix.ByteSliceToString(uts.Release[:])
	info.Architecture = unix.ByteSliceToString(uts.Machine[:])
	info.Name, _ = os.Hostname()
	info.OperatingSystem, info.OSVersion = osRelease("PRETTY_NAME"), osRelease("VERSION_ID")
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		info.MemTotal = int64(si.Totalram) * int64(si.Unit)
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); err == nil {
		info.IPv4Forwarding = strings.TrimSpace(string(b)) == "1"
	}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		info.NFd = len(ents)
	}
	if id, err := os.ReadFile("/etc/machine-id"); err == nil {
		info.ID = strings.TrimSpace(string(id))
	}
	return info, nil
}

// printInfo is docker's `info` text, section by section.
func printInfo(w io.Writer, i *infoJSON, o *Options) {
	fmt.Fprintf(w, "Client:\n Version:    %s\n Context:    %s\n Debug Mode: false\n\n", i.ClientInfo.Version, i.ClientInfo.Context)
	fmt.Fprintf(w, "Server:\n Containers: %d\n  Running: %d\n  Paused: %d\n  Stopped: %d\n Images: %d\n",
		i.Containers, i.ContainersRunning, i.ContainersPaused, i.ContainersStopped, i.Images)
	fmt.Fprintf(w, " Server Version: %s\n Storage Driver: %s\n Logging Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s\n",
		i.ServerVersion, i.Driver, i.LoggingDriver, i.CgroupDriver, i.CgroupVersion)
	fmt.Fprintf(w, " Plugins:\n  Volume: %s\n  Network: %s\n  Log: %s\n",
		strings.Join(i.Plugins["Volume"], " "), strings.Join(i.Plugins["Network"], " "), strings.Join(i.Plugins["Log"], " "))
	fmt.Fprintf(w, " Swarm: inactive\n Runtimes: %s\n Default Runtime: %s\n Init Binary: %s\n", i.DefaultRuntime, i.DefaultRuntime, i.InitBinary)
	fmt.Fprintf(w, " Security Options:\n  seccomp\n   Profile: builtin\n")
	fmt.Fprintf(w, " Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n CPUs: %d\n Total Memory: %s\n Name: %s\n ID: %s\n",
		i.KernelVersion, i.OperatingSystem, i.OSType, i.Architecture, i.NCPU, binarySize(float64(i.MemTotal)), i.Name, i.ID)
	fmt.Fprintf(w, " Docker Root Dir: %s\n Jinn Run Root: %s\n Debug Mode: false\n Experimental: false\n Live Restore Enabled: false\n", i.DockerRootDir, o.RunRoot)
}

// osRelease is one field of /etc/os-release.
func osRelease(key string) string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		if key == "PRETTY_NAME" {
			return "linux"
		}
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}
