package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

func newStopCmd(o *Options) *cobra.Command {
	return stopCmd(o, "stop", "Stop one or more running containers", nil)
}

func newRestartCmd(o *Options) *cobra.Command {
	return stopCmd(o, "restart", "Restart one or more containers", func(ctx context.Context, e engine.Engine, id string) error {
		_, err := e.Start(ctx, id, nil)
		return err
	})
}

// stopCmd is docker stop, and docker restart when then starts each
// container again once it has stopped.
func stopCmd(o *Options, name, short string, then func(context.Context, engine.Engine, string) error) *cobra.Command {
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
				if err := e.StopWith(ctx, id, signal, t); err != nil || then == nil {
					return err
				}
				return then(ctx, e, id)
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
