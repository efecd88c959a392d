package cli

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/monitor"
)

func newInfoCmd(o *Options) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "info",
		Short: "Display system-wide information",
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			vs, err := e.List(c.Context())
			if err != nil {
				return err
			}
			counts := map[string]int{}
			for _, v := range vs {
				counts[v.State.Status]++
			}
			var uts unix.Utsname
			unix.Uname(&uts)
			cg := "1"
			if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
				cg = "2"
			}
			host, _ := os.Hostname()
			info := map[string]any{
				"Containers": len(vs), "ContainersRunning": counts[monitor.StatusRunning], "ContainersPaused": counts[monitor.StatusPaused],
				"ContainersStopped": counts[monitor.StatusExited] + counts[monitor.StatusCreated], "Driver": "overlay", "LoggingDriver": "json-file",
				"CgroupDriver": "cgroupfs", "CgroupVersion": cg, "DefaultRuntime": o.Runtime,
				"KernelVersion": unix.ByteSliceToString(uts.Release[:]), "OperatingSystem": osName(), "OSType": "linux",
				"Architecture": runtime.GOARCH, "NCPU": runtime.NumCPU(), "Name": host, "DockerRootDir": o.Root,
				"ServerVersion": Version,
			}
			if format != "" {
				fm, err := newFormatter(c.OutOrStdout(), format, nil)
				if err != nil {
					return err
				}
				return fm.row(info)
			}
			w := c.OutOrStdout()
			fmt.Fprintf(w, "Client:\n Version:    %s\n Context:    local (daemonless)\n\n", Version)
			fmt.Fprintf(w, "Server:\n Containers: %d\n  Running: %d\n  Paused: %d\n  Stopped: %d\n", len(vs), counts[monitor.StatusRunning], counts[monitor.StatusPaused], counts[monitor.StatusExited]+counts[monitor.StatusCreated])
			fmt.Fprintf(w, " Server Version: %s\n Storage Driver: overlay\n Logging Driver: json-file\n Cgroup Driver: cgroupfs\n Cgroup Version: %s\n", Version, cg)
			fmt.Fprintf(w, " Default Runtime: %s\n Kernel Version: %s\n Operating System: %s\n OSType: linux\n Architecture: %s\n CPUs: %d\n Name: %s\n Jinn Root Dir: %s\n Jinn Run Root: %s\n",
				o.Runtime, unix.ByteSliceToString(uts.Release[:]), osName(), runtime.GOARCH, runtime.NumCPU(), host, o.Root, o.RunRoot)
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template")
	return c
}

func osName() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "linux"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "linux"
}
