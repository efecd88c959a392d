package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/network"
)

func newNetworkRmCmd(o *Options) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			m, err := o.networks()
			if err != nil {
				return err
			}
			var errs []error
			for _, a := range args {
				if err := m.RemoveNetwork(c.Context(), a); err != nil {
					if force && errors.Is(err, network.ErrNotFound) {
						continue // -f: a missing network is no error
					}
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(c.OutOrStdout(), a)
			}
			return errors.Join(errs...)
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "Do not error if the network does not exist")
	return c
}
