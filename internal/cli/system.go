package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newSystemPruneCmd is `jinn system prune`; the system command itself
// (system_df.go) adds it with info and events.
func newSystemPruneCmd(o *Options) *cobra.Command {
	var all, force, volumes bool
	prune := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove unused data",
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			ids, err := e.Prune(c.Context())
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			if len(ids) > 0 {
				fmt.Fprintln(out, "Deleted Containers:")
				for _, id := range ids {
					fmt.Fprintln(out, id)
				}
				fmt.Fprintln(out)
			}
			// Unused networks go too, as in docker; the default bridge,
			// kept up between containers, with them.
			if m, err := o.networks(); err == nil {
				nets, err := m.PruneNetworks(c.Context())
				if err != nil {
					return err
				}
				if len(nets) > 0 {
					fmt.Fprintln(out, "Deleted Networks:")
					for _, n := range nets {
						fmt.Fprintln(out, n)
					}
					fmt.Fprintln(out)
				}
			}
			if volumes {
				names, err := e.Volumes().Prune(all)
				if err != nil {
					return err
				}
				if len(names) > 0 {
					fmt.Fprintln(out, "Deleted Volumes:")
					for _, n := range names {
						fmt.Fprintln(out, n)
					}
					fmt.Fprintln(out)
				}
			}
			fmt.Fprintln(out, "Total reclaimed space: 0B")
			return nil
		},
	}
	prune.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused images not just dangling ones")
	prune.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	prune.Flags().BoolVar(&volumes, "volumes", false, "Prune anonymous volumes")
	return prune
}
