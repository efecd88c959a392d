package ocicli

import "github.com/spf13/cobra"

func newResume(g *Global) *cobra.Command {
	return &cobra.Command{
		Use:   "resume <container-id>",
		Short: "Thaw a paused container",
		Args:  exactArgs(1, "container id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.Runtime().Resume(args[0])
		},
	}
}
