package cli

import (
	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/network"
)

func newNetworkPruneCmd(o *Options) *cobra.Command {
	var force bool
	var filters []string
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fs, err := parseFilterSet(filters, pruneFilterKeys...)
			if err != nil {
				return err
			}
			m, err := o.networks()
			if err != nil {
				return err
			}
			if !force && !confirm(c, "WARNING! This will remove all custom networks not used by at least one container.") {
				return nil
			}
			removed, err := pruneNetworks(c, m, fs)
			printDeleted(c, "Deleted Networks:", removed)
			return err
		},
	}
	stringArrayVar(c.Flags(), &filters, "filter", nil, "Provide filter values (e.g. \"until=<timestamp>\")")
	c.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	return c
}

// pruneNetworks removes the unused networks the filters accept.
func pruneNetworks(c *cobra.Command, m *network.Manager, fs filterSet) ([]string, error) {
	return m.PruneNetworksWhere(c.Context(), func(n *network.Network) bool {
		return until(fs, n.Created) && fs.Labels(n.Labels)
	})
}
