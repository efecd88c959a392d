package cli

import (
	"github.com/spf13/cobra"
)

func newRmCmd(o *Options) *cobra.Command {
	var force, volumes, link bool
	c := &cobra.Command{
		Use:     "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more containers",
		Args:    minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			if link {
				return forEach(c, args, func(name string) error { return e.RemoveLink(c.Context(), name) })
			}
			return forEach(c, args, func(id string) error { return e.Remove(c.Context(), id, force, volumes) })
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
	c.Flags().BoolVarP(&link, "link", "l", false, "Remove the specified link")
	c.Flags().BoolVarP(&volumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	return c
}
