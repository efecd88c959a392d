package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newNetworkPruneCmd(o *Options) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			m, err := o.networks()
			if err != nil {
				return err
			}
			removed, err := m.PruneNetworks(c.Context())
			if len(removed) > 0 {
				fmt.Fprintln(c.OutOrStdout(), "Deleted Networks:")
				for _, n := range removed {
					fmt.Fprintln(c.OutOrStdout(), n)
				}
			}
			return err
		},
	}
	// jinn never prompts; -f is accepted for docker's scripts.
	c.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	return c
}
