package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newNetworkLsCmd(o *Options) *cobra.Command {
	var quiet bool
	c := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			m, err := o.networks()
			if err != nil {
				return err
			}
			nets, err := m.Networks()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 3, ' ', 0)
			if !quiet {
				fmt.Fprintln(w, "NETWORK ID\tNAME\tDRIVER\tSUBNET\tCONTAINERS")
			}
			for _, n := range nets {
				id := n.ID
				if len(id) > 12 {
					id = id[:12]
				}
				if quiet {
					fmt.Fprintln(w, id)
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", id, n.Name, n.Driver, n.Subnet, len(n.Containers))
			}
			return w.Flush()
		},
	}
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display network IDs")
	return c
}
