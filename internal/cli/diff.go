package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newDiffCmd is docker diff: what a container changed in its filesystem.
func newDiffCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Inspect changes to files or directories on a container's filesystem",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			changes, err := e.Changes(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			for _, c := range changes {
				fmt.Fprintln(cmd.OutOrStdout(), c)
			}
			return nil
		},
	}
}
