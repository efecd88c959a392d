package cli

import (
	"github.com/spf13/cobra"
)

func newUnpauseCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "unpause CONTAINER [CONTAINER...]",
		Short: "Unpause all processes within one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			return forEach(c, args, func(id string) error { return e.Unpause(c.Context(), id) })
		},
	}
}
