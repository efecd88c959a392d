package ocicli

import "github.com/spf13/cobra"

func newStart(g *Global) *cobra.Command {
	return &cobra.Command{
		Use:   "start <container-id>",
		Short: "Start the user program of a created container",
		Args:  exactArgs(1, "container id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.Runtime().Start(args[0])
		},
	}
}
