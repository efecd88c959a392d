package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

// port lists a container's published ports, as `docker port`.
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
			ports, err := e.Ports(c.Context(), args[0])
			if err != nil {
				return err
			}
			found := false
			for _, p := range ports {
				switch {
				case len(args) == 1:
					fmt.Fprintln(c.OutOrStdout(), p.String())
				case engine.MatchPort(p, args[1]):
					fmt.Fprintln(c.OutOrStdout(), p.HostAddr())
					found = true
				}
			}
			if len(args) > 1 && !found {
				return badFlag("Error: No public port '%s' published for %s", args[1], args[0])
			}
			return nil
		},
	}
}
