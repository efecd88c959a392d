package cli

import (
	"github.com/spf13/cobra"
)

func newKillCmd(o *Options) *cobra.Command {
	var sig string
	c := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			return forEach(c, args, func(id string) error { return e.Kill(c.Context(), id, sig) })
		},
	}
	c.Flags().StringVarP(&sig, "signal", "s", "KILL", "Signal to send to the container")
	return c
}
