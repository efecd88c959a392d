package cli

import (
	"context"

	"github.com/spf13/cobra"
)

func newStopCmd(o *Options) *cobra.Command {
	var timeout int
	c := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop one or more running containers",
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
			return forEach(c, args, func(id string) error { return e.Stop(context.Background(), id, t) })
		},
	}
	c.Flags().IntVarP(&timeout, "time", "t", 10, "Seconds to wait before killing the container")
	return c
}
