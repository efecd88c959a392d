// Package cli holds the jinn commands, docker's command line, one file per
// command.
package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/cliplan"
	"github.com/jinn-containers/jinn/internal/cmdline"
	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
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

	eng    engine.Engine     // made by engine() on first use
	images *image.Store      // opened by openImageStore on first use
	found  foundImage        // the image run or create looked up, for the engine
	rec    *cliplan.Recorder // an eligible run's recorder (runplan.go)
	recEnv []byte            // the environment its key holds
}

// commands are the constructors of jinn's top-level commands, one per file,
// by the name each gives itself (TestCommandTable checks that).
var commands = []struct {
	name string
	make func(*Options) *cobra.Command
}{
	{"run", newRunCmd}, {"create", newCreateCmd}, {"start", newStartCmd}, {"stop", newStopCmd},
	{"kill", newKillCmd}, {"restart", newRestartCmd}, {"rm", newRmCmd}, {"ps", newPsCmd},
	{"logs", newLogsCmd}, {"exec", newExecCmd}, {"attach", newAttachCmd}, {"inspect", newInspectCmd},
	{"wait", newWaitCmd}, {"top", newTopCmd}, {"stats", newStatsCmd}, {"pause", newPauseCmd},
	{"unpause", newUnpauseCmd}, {"rename", newRenameCmd}, {"update", newUpdateCmd}, {"cp", newCpCmd},
	{"port", newPortCmd}, {"volume", newVolumeCmd}, {"container", newContainerCmd}, {"events", newEventsCmd},
	{"version", newVersionCmd}, {"info", newInfoCmd},
	{"images", newImagesCmd}, {"image", newImageCmd}, {"rmi", newRmiCmd}, {"tag", newTagCmd},
	{"import", newImportCmd}, {"save", newSaveCmd}, {"load", newLoadCmd}, {"pull", newPullCmd},
	{"push", newPushCmd}, {"history", newHistoryCmd}, {"login", newLoginCmd}, {"logout", newLogoutCmd},
	{"system", newSystemCmd}, {"diff", newDiffCmd}, {"commit", newCommitCmd}, {"export", newExportCmd},
	{"build", newBuildCmd}, {"builder", newBuilderCmd}, {"network", newNetworkCmd},
	{"search", newSearchCmd}, {"manifest", newManifestCmd}, {"context", newContextCmd},
}

// NewRoot builds the whole jinn command tree.
func NewRoot() *cobra.Command {
	root, o := newRoot()
	for _, c := range commands {
		root.AddCommand(c.make(o))
	}
	addImageBuild(root, o)
	setDockerHelp(root)
	return root
}

// NewRootFor builds the tree the command line args needs: when they name
// a top-level command, the root and that command alone. The whole tree
// (~50 commands and their ~1,000 flags) costs ~0.5 ms and 330 KB, in
// every command; help, completion and an unknown command (cobra's
// suggestions) get it all.
func NewRootFor(args []string) *cobra.Command {
	root, o := newRoot()
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-v") {
		return root
	}
	name := cmdline.CommandName(root.PersistentFlags(), args)
	for _, c := range commands {
		if c.name == name {
			root.AddCommand(c.make(o))
			if name == "image" {
				addImageBuild(root, o)
			}
			setDockerHelp(root)
			return root
		}
	}
	return NewRoot()
}

// newRoot is the root command with its global flags and no command.
func newRoot() (*cobra.Command, *Options) {
	o := &Options{}
	root := &cobra.Command{
		Use:           "jinn",
		Short:         "A daemonless container engine",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(flagError)
	// docker --version: "Docker version 28.0.1, build 068a01e".
	root.Version = Version
	root.SetVersionTemplate("jinn version {{.Version}}, build " + shortCommit() + "\n")
	root.Flags().BoolP("version", "v", false, "Print version information and quit")
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
	return root, o
}
