package ocicli

import "github.com/spf13/cobra"

func newPause(g *Global) *cobra.Command {
	return &cobra.Command{
		Use:   "pause <container-id>",
		Short: "Freeze every process of a container",
		Args:  exactArgs(1, "container id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.Runtime().Pause(args[0])
		},
	}
}
