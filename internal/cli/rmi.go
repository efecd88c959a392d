package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

func newRmiCmd(o *Options) *cobra.Command {
	return rmiCmd(o, "rmi [OPTIONS] IMAGE [IMAGE...]", nil)
}

func rmiCmd(o *Options, use string, aliases []string) *cobra.Command {
	var force, noPrune bool
	c := &cobra.Command{
		Use:     use,
		Aliases: aliases,
		Short:   "Remove one or more images",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			var firstErr error
			for _, a := range args {
				items, err := st.Delete(a, image.DeleteOptions{Force: force, NoPrune: noPrune})
				for _, it := range items {
					if it.Untagged != "" {
						fmt.Fprintln(cmd.OutOrStdout(), "Untagged:", it.Untagged)
					}
					if it.Deleted != "" {
						fmt.Fprintln(cmd.OutOrStdout(), "Deleted:", it.Deleted)
					}
				}
				if err != nil {
					if image.IsNotFound(err) {
						err = fmt.Errorf("No such image: %s", a)
					}
					if firstErr == nil {
						firstErr = err
					} else {
						fmt.Fprintln(cmd.ErrOrStderr(), "jinn:", err)
					}
				}
			}
			return firstErr
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "Force removal of the image")
	c.Flags().BoolVar(&noPrune, "no-prune", false, "Do not delete untagged parents")
	return hostPlatformOnly(c, "Remove only the given platform variant. "+platformFormat, true)
}
