package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

// top runs the host's ps over the container's pids, like docker.
func newTopCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			pids, err := e.Top(c.Context(), args[0])
			if err != nil {
				return err
			}
			header, rows, _, err := engine.PsRows(c.Context(), pids, args[1:])
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), header)
			for _, l := range rows {
				fmt.Fprintln(c.OutOrStdout(), l)
			}
			return nil
		},
	}
}
