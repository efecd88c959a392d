package cli

import (
	"context"

	"github.com/spf13/cobra"
)

func newRestartCmd(o *Options) *cobra.Command {
	var timeout int
	c := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			var t *int
			if c.Flags().Changed("time") {
				t = &timeout
			}
			ctx := context.Background()
			return forEach(c, args, func(id string) error {
				if err := e.Stop(ctx, id, t); err != nil {
					return err
				}
				_, err := e.Start(ctx, id, nil)
				return err
			})
		},
	}
	c.Flags().IntVarP(&timeout, "time", "t", 10, "Seconds to wait before killing the container")
	return c
}
