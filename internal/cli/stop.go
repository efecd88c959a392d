package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

func newStopCmd(o *Options) *cobra.Command {
	return stopCmd(o, "stop", "Stop one or more running containers", engine.Engine.StopWith)
}

func newRestartCmd(o *Options) *cobra.Command {
	return stopCmd(o, "restart", "Restart one or more containers", engine.Engine.Restart)
}

// stopCmd is docker stop and docker restart: the same flags, one engine call each.
func stopCmd(o *Options, name, short string, do func(engine.Engine, context.Context, string, string, *int) error) *cobra.Command {
	var timeout int
	var signal string
	c := &cobra.Command{
		Use:   name + " [OPTIONS] CONTAINER [CONTAINER...]",
		Short: short,
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			var t *int
			if c.Flags().Changed("timeout") || c.Flags().Changed("time") {
				t = &timeout
			}
			ctx := c.Context()
			return forEach(c, args, func(id string) error {
				return do(e, ctx, id, signal, t)
			})
		},
	}
	fl := c.Flags()
	fl.StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	fl.IntVarP(&timeout, "timeout", "t", 10, "Seconds to wait before killing the container")
	// --time is docker's deprecated name of --timeout.
	fl.IntVar(&timeout, "time", 10, "Seconds to wait before killing the container (deprecated: use --timeout)")
	fl.MarkHidden("time")
	return c
}
