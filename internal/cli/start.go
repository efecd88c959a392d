package cli

import (
	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

func newStartCmd(o *Options) *cobra.Command {
	var attach, interactive bool
	var detachKeys, checkpoint, checkpointDir string
	c := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if checkpoint != "" || checkpointDir != "" {
				return badFlag("cannot restore from a checkpoint: checkpoint and restore need CRIU, which jinn does not use")
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			ctx := c.Context()
			if attach || interactive {
				if len(args) > 1 {
					return badFlag("you cannot start and attach multiple containers at once")
				}
				keys, err := engine.ParseDetachKeys(detachKeys)
				if err != nil {
					return badFlag("%v", err)
				}
				v, err := e.Inspect(ctx, args[0])
				if err != nil {
					return err
				}
				return runAttached(ctx, e, v.ID, v.Config.Tty, interactive, keys, true, func(a *engine.AttachOptions) (int, error) {
					return e.Start(ctx, v.ID, a)
				})
			}
			return forEach(c, args, func(id string) error {
				_, err := e.Start(ctx, id, nil)
				return err
			})
		},
	}
	c.Flags().BoolVarP(&attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	c.Flags().StringVar(&checkpoint, "checkpoint", "", "Restore from this checkpoint")
	c.Flags().StringVar(&checkpointDir, "checkpoint-dir", "", "Use a custom checkpoint storage directory")
	c.Flags().BoolVarP(&interactive, "interactive", "i", false, "Attach container's STDIN")
	c.Flags().StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return c
}
