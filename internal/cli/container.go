package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

// container groups the container commands (docker container ...); prune
// lives only here.
func newContainerCmd(o *Options) *cobra.Command {
	c := &cobra.Command{Use: "container COMMAND", Short: "Manage containers"}
	c.AddCommand(newContainerPruneCmd(o),
		newRunCmd(o), newCreateCmd(o), newStartCmd(o), newStopCmd(o), newKillCmd(o), newRestartCmd(o),
		newRmCmd(o), newPsCmd(o), newLogsCmd(o), newExecCmd(o), newAttachCmd(o), newContainerInspectCmd(o),
		newWaitCmd(o), newTopCmd(o), newStatsCmd(o), newPauseCmd(o), newUnpauseCmd(o), newRenameCmd(o),
		newCpCmd(o), newPortCmd(o), newUpdateCmd(o),
		newCommitCmd(o), newDiffCmd(o), newExportCmd(o))
	return c
}

func newContainerPruneCmd(o *Options) *cobra.Command {
	var force bool
	var filters []string
	c := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove all stopped containers", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fs, err := parseFilterSet(filters, pruneFilterKeys...)
			if err != nil {
				return err
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			if !force && !confirm(c, "WARNING! This will remove all stopped containers.") {
				return nil
			}
			ids, reclaimed, err := pruneContainers(c, e, fs)
			if err != nil {
				return err
			}
			printDeleted(c, "Deleted Containers:", ids)
			fmt.Fprintln(c.OutOrStdout(), "Total reclaimed space:", humanSize(reclaimed))
			return nil
		},
	}
	stringArrayVar(c.Flags(), &filters, "filter", nil, "Provide filter values (e.g. \"until=<timestamp>\")")
	c.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	return c
}

// pruneContainers removes the stopped containers the filters accept and
// returns their ids and the size of their writable layers.
func pruneContainers(c *cobra.Command, e engine.Engine, fs filterSet) ([]string, int64, error) {
	sizes := map[string]int64{}
	if du, err := e.DiskUsage(c.Context()); err == nil {
		for _, u := range du.Containers {
			sizes[u.ID] = u.Size
		}
	}
	snap := map[string]string{}
	ids, err := e.PruneWhere(c.Context(), func(v *engine.View) bool {
		snap[v.ID] = v.Snapshot
		return until(fs, v.Created) && fs.Labels(v.Config.Labels)
	})
	var n int64
	for _, id := range ids {
		n += sizes[snap[id]]
	}
	return ids, n, err
}

// newContainerInspectCmd is inspect under `container`: containers only,
// with docker's wording of --size there.
func newContainerInspectCmd(o *Options) *cobra.Command {
	c := inspectCmd(o, "container")
	c.Flags().Lookup("size").Usage = "Display total file sizes"
	c.Flags().MarkHidden("type")
	return c
}
