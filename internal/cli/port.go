package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// port lists published ports; none exist until networking lands.
func newPortCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			if _, err := e.Inspect(context.Background(), args[0]); err != nil {
				return err
			}
			if len(args) > 1 {
				return badFlag("Error: No public port '%s' published for %s", args[1], args[0])
			}
			return nil
		},
	}
}
