package cli

import (
	"github.com/spf13/cobra"
)

func newPauseCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "pause CONTAINER [CONTAINER...]",
		Short: "Pause all processes within one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			return forEach(c, args, func(id string) error { return e.Pause(c.Context(), id) })
		},
	}
}
