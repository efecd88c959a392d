// Package cli holds the jinn commands, docker's command line, one file per
// command.
package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/engine"
)

// exportCgroupParent checks --cgroup-parent and puts it in the environment
// that every runtime, monitor and build step jinn starts inherits: an OCI
// runtime is driven by runc's command line, which has no flag for it, and
// jinn-runtime reads $JINN_CGROUP_PARENT. runc and crun take the absolute
// cgroupsPath the engine writes and ignore the variable.
func (o *Options) exportCgroupParent() error {
	if err := cgroups.ValidParent(o.CgroupParent); err != nil {
		return usageError{err}
	}
	return os.Setenv(cgroups.ParentEnv, o.CgroupParent)
}

// Options are the global flags every command sees.
type Options struct {
	Root    string // --root: the store, /var/lib/jinn by default
	RunRoot string // --runroot: the runtime state, /run/jinn by default
	Runtime string // --runtime: the OCI runtime binary the engine drives
	// CgroupParent is --cgroup-parent: the cgroup containers go under.
	CgroupParent string

	eng engine.Engine // made by engine() on first use
}

// NewRoot builds the jinn command tree.
func NewRoot() *cobra.Command {
	o := &Options{}
	root := &cobra.Command{
		Use:           "jinn",
		Short:         "A daemonless container engine",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(flagError)
	// jinn and its monitors keep out of the OOM killer's way where the
	// kernel lets them (lowering needs CAP_SYS_RESOURCE); containers get
	// their own value in their spec.
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		protectFromOOM()
		return o.exportCgroupParent()
	}
	f := root.PersistentFlags()
	f.StringVar(&o.Root, "root", "/var/lib/jinn", "storage root")
	f.StringVar(&o.RunRoot, "runroot", "/run/jinn", "runtime state root")
	f.StringVar(&o.Runtime, "runtime", "jinn-runtime", "OCI runtime to drive")
	f.StringVar(&o.CgroupParent, "cgroup-parent", cgroups.ParentFromEnv(),
		"parent cgroup of all containers (default $"+cgroups.ParentEnv+", else jinn)")
	// Accepted as docker accepts it; jinn has no debug log to turn on.
	f.BoolP("debug", "D", false, "debug logging")
	root.AddCommand(
		// Commands are added here, one constructor per file: newRunCmd(o), ...
		newRunCmd(o),
		newCreateCmd(o),
		newStartCmd(o),
		newStopCmd(o),
		newKillCmd(o),
		newRestartCmd(o),
		newRmCmd(o),
		newPsCmd(o),
		newLogsCmd(o),
		newExecCmd(o),
		newAttachCmd(o),
		newInspectCmd(o),
		newWaitCmd(o),
		newTopCmd(o),
		newStatsCmd(o),
		newPauseCmd(o),
		newUnpauseCmd(o),
		newRenameCmd(o),
		newUpdateCmd(o),
		newCpCmd(o),
		newPortCmd(o),
		newVolumeCmd(o),
		newContainerCmd(o),
		newEventsCmd(o),
		newVersionCmd(o),
		newInfoCmd(o),
		newImagesCmd(o), newImageCmd(o), newRmiCmd(o), newTagCmd(o), newImportCmd(o),
		newSaveCmd(o), newLoadCmd(o), newPullCmd(o), newPushCmd(o),
		newHistoryCmd(o), newLoginCmd(o), newLogoutCmd(o), newSystemCmd(o),
		newDiffCmd(o), newCommitCmd(o), newExportCmd(o),
		newBuildCmd(o),
		newBuilderCmd(o),
		newNetworkCmd(o),
		newSearchCmd(o), newManifestCmd(o), newContextCmd(o),
	)
	addImageBuild(root, o)
	setDockerHelp(root)
	return root
}
