package ocicli

import (
	"encoding/json"
	"os"

	"github.com/spf13/cobra"
)

func newState(g *Global) *cobra.Command {
	return &cobra.Command{
		Use:   "state <container-id>",
		Short: "Print the state of a container as OCI state JSON",
		Args:  exactArgs(1, "container id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.Runtime().Load(args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			b, err := json.MarshalIndent(c.OCI(), "", "  ")
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(append(b, '\n'))
			return err
		},
	}
}
