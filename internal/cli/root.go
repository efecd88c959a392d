// Package cli holds the jinn commands, docker's command line, one file per
// command.
package cli

import (
	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

// Options are the global flags every command sees.
type Options struct {
	Root    string // --root: the store, /var/lib/jinn by default
	RunRoot string // --runroot: the runtime state, /run/jinn by default
	Runtime string // --runtime: the OCI runtime binary the engine drives

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
	root.PersistentPreRun = func(*cobra.Command, []string) { protectFromOOM() }
	f := root.PersistentFlags()
	f.StringVar(&o.Root, "root", "/var/lib/jinn", "storage root")
	f.StringVar(&o.RunRoot, "runroot", "/run/jinn", "runtime state root")
	f.StringVar(&o.Runtime, "runtime", "jinn-runtime", "OCI runtime to drive")
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
	)
	addImageBuild(root, o)
	return root
}
