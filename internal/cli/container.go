package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// container groups the container commands (docker container ...); prune
// lives only here.
func newContainerCmd(o *Options) *cobra.Command {
	c := &cobra.Command{Use: "container COMMAND", Short: "Manage containers"}
	c.AddCommand(newContainerPruneCmd(o),
		newRunCmd(o), newCreateCmd(o), newStartCmd(o), newStopCmd(o), newKillCmd(o), newRestartCmd(o),
		newRmCmd(o), newPsCmd(o), newLogsCmd(o), newExecCmd(o), newAttachCmd(o), newInspectCmd(o),
		newWaitCmd(o), newTopCmd(o), newStatsCmd(o), newPauseCmd(o), newUnpauseCmd(o), newRenameCmd(o),
		newCpCmd(o), newPortCmd(o))
	return c
}

func newContainerPruneCmd(o *Options) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove all stopped containers",
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			ids, err := e.Prune(c.Context())
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				fmt.Fprintln(c.OutOrStdout(), "Deleted Containers:")
				for _, id := range ids {
					fmt.Fprintln(c.OutOrStdout(), id)
				}
				fmt.Fprintln(c.OutOrStdout())
			}
			fmt.Fprintln(c.OutOrStdout(), "Total reclaimed space: 0B")
			return nil
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	return c
}
