package cli

import (
	"github.com/spf13/cobra"
)

func newRenameCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			return e.Rename(c.Context(), args[0], args[1])
		},
	}
}
