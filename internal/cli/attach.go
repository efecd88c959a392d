package cli

import (
	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

func newAttachCmd(o *Options) *cobra.Command {
	var noStdin, sigProxy bool
	var detachKeys string
	c := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			keys, err := engine.ParseDetachKeys(detachKeys)
			if err != nil {
				return badFlag("%v", err)
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			ctx := c.Context()
			v, err := e.Inspect(ctx, args[0])
			if err != nil {
				return err
			}
			return runAttached(ctx, e, v.ID, v.Config.Tty, !noStdin && v.Config.OpenStdin, keys, sigProxy, func(a *engine.AttachOptions) (int, error) {
				return e.Attach(ctx, v.ID, a)
			})
		},
	}
	c.Flags().BoolVar(&noStdin, "no-stdin", false, "Do not attach STDIN")
	c.Flags().BoolVar(&sigProxy, "sig-proxy", true, "Proxy all received signals to the process")
	c.Flags().StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return c
}
