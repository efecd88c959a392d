package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// Version is jinn's version; set with -ldflags at release.
var Version = "0.1.0-dev"

// apiVersion is the Docker Engine API version jinn speaks (docker 28).
const apiVersion = "1.51"

// versionJSON is docker's `version` document: the client and, jinn
// being daemonless, the engine in the same binary as the server.
type versionJSON struct {
	Client clientVersion
	Server *serverVersion `json:",omitempty"`
}

type clientVersion struct {
	Platform          struct{ Name string }
	Version           string
	ApiVersion        string //nolint:revive // docker's name
	DefaultAPIVersion string
	GitCommit         string
	GoVersion         string
	Os                string
	Arch              string
	BuildTime         string
	Context           string
}

type serverVersion struct {
	Platform      struct{ Name string }
	Components    []component
	Version       string
	ApiVersion    string //nolint:revive // docker's name
	MinAPIVersion string
	GitCommit     string
	GoVersion     string
	Os            string
	Arch          string
	KernelVersion string
	BuildTime     string
}

type component struct {
	Name    string
	Version string
	Details map[string]string
}

func gitCommit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// shortCommit is the commit as docker --version shows it: 7 characters.
func shortCommit() string {
	c := gitCommit()
	if len(c) > 7 {
		c = c[:7]
	}
	return c
}

func newVersionCmd(o *Options) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show the jinn version information",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			commit := gitCommit()
			var uts unix.Utsname
			unix.Uname(&uts)
			v := versionJSON{Client: clientVersion{Version: Version, ApiVersion: apiVersion, DefaultAPIVersion: apiVersion,
				GitCommit: commit, GoVersion: runtime.Version(), Os: runtime.GOOS, Arch: runtime.GOARCH, Context: "default"}}
			v.Client.Platform.Name = "jinn"
			s := &serverVersion{Version: Version, ApiVersion: apiVersion, MinAPIVersion: "1.24", GitCommit: commit,
				GoVersion: runtime.Version(), Os: runtime.GOOS, Arch: runtime.GOARCH, KernelVersion: unix.ByteSliceToString(uts.Release[:])}
			s.Platform.Name = "jinn"
			s.Components = []component{{Name: "Engine", Version: Version, Details: map[string]string{"ApiVersion": apiVersion,
				"MinAPIVersion": "1.24", "GitCommit": commit, "GoVersion": runtime.Version(), "Os": runtime.GOOS, "Arch": runtime.GOARCH,
				"KernelVersion": s.KernelVersion, "Experimental": "false"}}, runtimeComponent(o.Runtime)}
			v.Server = s
			if format != "" {
				fm, err := newFormatter(c.OutOrStdout(), format, nil)
				if err != nil {
					return err
				}
				return fm.row(v)
			}
			w := c.OutOrStdout()
			short := commit
			if len(short) > 7 {
				short = short[:7]
			}
			fmt.Fprintf(w, "Client:\n Version:           %s\n API version:       %s\n Go version:        %s\n Git commit:        %s\n OS/Arch:           %s/%s\n Context:           default\n\n",
				Version, apiVersion, runtime.Version(), short, runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(w, "Server: jinn (daemonless)\n Engine:\n  Version:          %s\n  API version:      %s (minimum version 1.24)\n  Go version:       %s\n  Git commit:       %s\n  OS/Arch:          %s/%s\n  Experimental:     false\n %s:\n  Version:          %s\n",
				Version, apiVersion, runtime.Version(), short, runtime.GOOS, runtime.GOARCH, s.Components[1].Name, s.Components[1].Version)
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", formatHelpJSON)
	return c
}

// runtimeComponent is the OCI runtime as docker lists runc: its name and
// the version its --version prints ("runc version 1.1.5" gives 1.1.5).
func runtimeComponent(rt string) component {
	c := component{Name: filepath.Base(rt), Version: "unknown", Details: map[string]string{}}
	path := rt
	if !strings.Contains(rt, "/") {
		if self, err := os.Executable(); err == nil {
			if p := filepath.Join(filepath.Dir(self), rt); fileExists(p) {
				path = p
			}
		}
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return c
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if _, v, ok := strings.Cut(first, " version "); ok {
		c.Version = strings.TrimSpace(v)
	}
	for _, l := range strings.Split(string(out), "\n")[1:] {
		if k, v, ok := strings.Cut(l, ": "); ok && k == "commit" {
			c.Details["GitCommit"] = v
		}
	}
	return c
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
