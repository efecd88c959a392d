package ocicli

import (
	"encoding/json"
	"os"

	"github.com/jinn-containers/jinn/internal/caps"
	"github.com/jinn-containers/jinn/internal/rootfs"
	"github.com/jinn-containers/jinn/internal/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/spf13/cobra"
)

func newFeatures(g *Global) *cobra.Command {
	return &cobra.Command{
		Use:   "features",
		Short: "Print the runtime-spec features this runtime implements, as JSON",
		Args:  exactArgs(0, "none"),
		RunE: func(cmd *cobra.Command, args []string) error {
			yes, no := true, false
			f := features.Features{
				OCIVersionMin: "1.0.0",
				OCIVersionMax: specs.Version,
				Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
				MountOptions:  rootfs.Options(),
				Linux: &features.Linux{
					Namespaces:      []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"},
					Cgroup:          &features.Cgroup{V1: &yes, V2: &yes, Systemd: &yes, SystemdUser: &no}, // systemd: --systemd-cgroup
					Seccomp:         seccomp.Features(),
					Capabilities:    caps.Known(),
					MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &yes}},
					Apparmor:        &features.Apparmor{Enabled: &no},
					Selinux:         &features.Selinux{Enabled: &no},
				},
				Annotations: map[string]string{"org.jinn-containers.runtime.version": Version},
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "    ")
			return enc.Encode(f)
		},
	}
}
