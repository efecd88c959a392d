package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/apiserver"
	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/monitor"
	"github.com/jinn-containers/jinn/internal/network"
)

// containerJSON is docker's `inspect` document for a container.
type containerJSON struct {
	ID              string         `json:"Id"`
	Created         string         `json:"Created"`
	Path            string         `json:"Path"`
	Args            []string       `json:"Args"`
	State           stateJSON      `json:"State"`
	Image           string         `json:"Image"`
	ResolvConfPath  string         `json:"ResolvConfPath"`
	HostnamePath    string         `json:"HostnamePath"`
	HostsPath       string         `json:"HostsPath"`
	LogPath         string         `json:"LogPath"`
	Name            string         `json:"Name"`
	RestartCount    int            `json:"RestartCount"`
	Driver          string         `json:"Driver"`
	Platform        string         `json:"Platform"`
	MountLabel      string         `json:"MountLabel"`
	ProcessLabel    string         `json:"ProcessLabel"`
	AppArmorProfile string         `json:"AppArmorProfile"`
	ExecIDs         []string       `json:"ExecIDs"`
	HostConfig      hostConfigJSON `json:"HostConfig"`
	GraphDriver     graphDriver    `json:"GraphDriver"`
	SizeRw          *int64         `json:"SizeRw,omitempty"` // inspect -s
	SizeRootFs      *int64         `json:"SizeRootFs,omitempty"`
	Mounts          []mountJSON    `json:"Mounts"`
	Config          configJSON     `json:"Config"`
	NetworkSettings networkJSON    `json:"NetworkSettings"`
}

type stateJSON struct {
	Status     string      `json:"Status"`
	Running    bool        `json:"Running"`
	Paused     bool        `json:"Paused"`
	Restarting bool        `json:"Restarting"`
	OOMKilled  bool        `json:"OOMKilled"`
	Dead       bool        `json:"Dead"`
	Pid        int         `json:"Pid"`
	ExitCode   int         `json:"ExitCode"`
	Error      string      `json:"Error"`
	StartedAt  string      `json:"StartedAt"`
	FinishedAt string      `json:"FinishedAt"`
	Health     *healthJSON `json:"Health,omitempty"`
}

type healthJSON struct {
	Status        string `json:"Status"`
	FailingStreak int    `json:"FailingStreak"`
	Log           any    `json:"Log"`
}

type hostConfigJSON struct {
	engine.HostConfig
	NanoCpus int64 `json:"NanoCpus"`
}

type graphDriver struct {
	Name string            `json:"Name"`
	Data map[string]string `json:"Data"`
}

type mountJSON struct {
	Type        string `json:"Type"`
	Name        string `json:"Name,omitempty"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Driver      string `json:"Driver,omitempty"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
}

type configJSON struct {
	Hostname     string              `json:"Hostname"`
	Domainname   string              `json:"Domainname"`
	User         string              `json:"User"`
	AttachStdin  bool                `json:"AttachStdin"`
	AttachStdout bool                `json:"AttachStdout"`
	AttachStderr bool                `json:"AttachStderr"`
	Tty          bool                `json:"Tty"`
	OpenStdin    bool                `json:"OpenStdin"`
	StdinOnce    bool                `json:"StdinOnce"`
	Env          []string            `json:"Env"`
	Cmd          []string            `json:"Cmd"`
	Healthcheck  any                 `json:"Healthcheck,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Image        string              `json:"Image"`
	Volumes      map[string]any      `json:"Volumes"`
	WorkingDir   string              `json:"WorkingDir"`
	Entrypoint   []string            `json:"Entrypoint"`
	Labels       map[string]string   `json:"Labels"`
	StopSignal   string              `json:"StopSignal,omitempty"`
	StopTimeout  *int                `json:"StopTimeout,omitempty"`
}

type networkJSON struct {
	Bridge      string         `json:"Bridge"`
	SandboxID   string         `json:"SandboxID"`
	SandboxKey  string         `json:"SandboxKey"`
	Ports       map[string]any `json:"Ports"`
	IPAddress   string         `json:"IPAddress"`
	IPPrefixLen int            `json:"IPPrefixLen"`
	Gateway     string         `json:"Gateway"`
	MacAddress  string         `json:"MacAddress"`
	// docker's deprecated top-level fields of the first network
	GlobalIPv6Address   string         `json:"GlobalIPv6Address"`
	GlobalIPv6PrefixLen int            `json:"GlobalIPv6PrefixLen"`
	IPv6Gateway         string         `json:"IPv6Gateway"`
	Networks            map[string]any `json:"Networks"`
}

func dockerTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func inspectJSON(o *Options, v *engine.View) *containerJSON {
	st := v.State
	dir := engine.NetFilesDir(o.Root, o.RunRoot, v.Container)
	j := &containerJSON{
		ID: v.ID, Created: dockerTime(v.Created), Path: v.Path, Args: v.Args, Image: v.ImageID,
		ResolvConfPath: filepath.Join(dir, "resolv.conf"), HostnamePath: filepath.Join(dir, "hostname"),
		HostsPath: filepath.Join(dir, "hosts"), LogPath: v.LogPath, Name: "/" + v.Name,
		RestartCount: st.RestartCount, Driver: "overlay", Platform: "linux", ExecIDs: nil,
		HostConfig:  hostConfigJSON{HostConfig: v.Host, NanoCpus: v.Host.NanoCpus},
		GraphDriver: graphDriver{Name: "overlay", Data: map[string]string{"MergedDir": filepath.Join(o.RunRoot, "containers", v.ID, "rootfs")}},
		Mounts:      []mountJSON{},
		NetworkSettings: networkJSON{SandboxKey: filepath.Join(o.RunRoot, "netns", v.ID), Ports: map[string]any{},
			Networks: map[string]any{"none": map[string]any{}}},
	}
	j.NetworkSettings = networkSettings(o, v)
	if j.Args == nil {
		j.Args = []string{}
	}
	if v.Rootfs != "" {
		j.Driver, j.GraphDriver = "", graphDriver{Name: "rootfs", Data: map[string]string{"MergedDir": v.Rootfs}}
	}
	j.State = stateJSON{
		Status: st.Status, Running: st.Status == monitor.StatusRunning || st.Status == monitor.StatusPaused, Paused: st.Status == monitor.StatusPaused,
		Restarting: st.Status == monitor.StatusRestarting, Dead: st.Status == engine.StatusDead, OOMKilled: st.OOMKilled, Pid: st.Pid, ExitCode: st.ExitCode,
		Error: st.Error, StartedAt: dockerTime(st.StartedAt), FinishedAt: dockerTime(st.FinishedAt),
	}
	if st.Health != nil {
		j.State.Health = &healthJSON{Status: st.Health.Status, FailingStreak: st.Health.FailingStreak, Log: st.Health.Log}
	}
	vols := map[string]any{}
	for _, m := range v.Mounts {
		mj := mountJSON{Type: m.Type, Name: m.Name, Source: m.Source, Destination: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation}
		if m.Type == "volume" {
			mj.Driver = "local"
			vols[m.Destination] = struct{}{}
		}
		if m.Type == "bind" && mj.Propagation == "" {
			mj.Propagation = "rprivate"
		}
		j.Mounts = append(j.Mounts, mj)
	}
	c := v.Config
	j.Config = configJSON{
		Hostname: c.Hostname, User: c.User, Tty: c.Tty, OpenStdin: c.OpenStdin, Env: c.Env, Cmd: c.Cmd,
		Image: v.Image, WorkingDir: c.WorkingDir, Entrypoint: c.Entrypoint, Labels: c.Labels,
		StopSignal: c.StopSignal, StopTimeout: c.StopTimeout, AttachStdout: true, AttachStderr: true,
	}
	if c.Healthcheck != nil {
		j.Config.Healthcheck = c.Healthcheck
	}
	for _, e := range v.Host.ExposedPorts { // "80", "7100-7101/udp": docker's "80/tcp" keys
		ps, _ := network.ParsePort(e)
		for _, p := range ps {
			if j.Config.ExposedPorts == nil {
				j.Config.ExposedPorts = map[string]struct{}{}
			}
			j.Config.ExposedPorts[fmt.Sprintf("%d/%s", p.ContainerPort, p.Proto)] = struct{}{}
		}
	}
	if len(vols) > 0 {
		j.Config.Volumes = vols
	}
	if j.Config.Labels == nil {
		j.Config.Labels = map[string]string{}
	}
	return j
}

func newInspectCmd(o *Options) *cobra.Command { return inspectCmd(o, "") }

// inspectTypes are the objects inspect finds, in the order docker's
// inspect tries them when no --type is given.
var inspectTypes = []string{"container", "image", "network", "volume"}

func inspectCmd(o *Options, only string) *cobra.Command {
	var format, typ string
	var size bool
	c := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on Docker objects",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			if only != "" {
				typ = only
			}
			if typ != "" && !slices.Contains(inspectTypes, typ) {
				return badFlag("%q is not a valid value for --type", typ)
			}
			var docs []any
			failed := false
			for _, ref := range args {
				var doc any
				for _, t := range inspectTypes {
					if doc == nil && (typ == "" || typ == t) {
						doc = inspectOne(c, o, e, t, ref, size)
					}
				}
				if doc == nil {
					fmt.Fprintf(c.ErrOrStderr(), "Error: No such object: %s\n", ref)
					failed = true
					continue
				}
				docs = append(docs, doc)
			}
			if format != "" {
				if err := printInspect(c.OutOrStdout(), format, docs); err != nil {
					return err
				}
			} else {
				if docs == nil {
					docs = []any{}
				}
				b, _ := json.MarshalIndent(docs, "", "    ")
				fmt.Fprintln(c.OutOrStdout(), string(b))
			}
			if failed {
				return &engine.ExitError{Code: 1}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", formatHelpJSON)
	c.Flags().StringVar(&typ, "type", "", "Only inspect objects of the given type")
	c.Flags().BoolVarP(&size, "size", "s", false, "Display total file sizes if the type is container")
	return c
}

// inspectOne is the inspect document of the object of type t named ref,
// or nil; size adds a container's sizes (-s).
func inspectOne(c *cobra.Command, o *Options, e engine.Engine, t, ref string, size bool) any {
	switch t {
	case "container":
		if v, err := e.Inspect(c.Context(), ref); err == nil {
			j := inspectJSON(o, v)
			if size {
				own, virt := containerSizes(o, v)
				j.SizeRw, j.SizeRootFs = &own, &virt
			}
			return j
		}
	case "image":
		if st, err := openImageStore(o); err == nil {
			if img, err := st.Get(ref); err == nil {
				return inspectImage(st, img)
			}
		}
	case "network":
		if m, err := o.networks(); err == nil {
			if n, err := m.InspectNetwork(ref); err == nil {
				return apiserver.NetworkDoc(n)
			}
		}
	case "volume":
		if vol, err := e.Volumes().Get(ref); err == nil {
			return vol
		}
	}
	return nil
}
