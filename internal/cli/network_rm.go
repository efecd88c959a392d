package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newNetworkRmCmd(o *Options) *cobra.Command {
	return &cobra.Command{
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
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(c.OutOrStdout(), a)
			}
			return errors.Join(errs...)
		},
	}
}
