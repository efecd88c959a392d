package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

func newWaitCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			ctx, stop := interruptible(c)
			defer stop()
			failed := false
			for _, id := range args {
				code, err := e.Wait(ctx, id)
				if err != nil {
					fmt.Fprintln(c.ErrOrStderr(), "Error response from daemon:", err)
					failed = true
					continue
				}
				fmt.Fprintln(c.OutOrStdout(), code)
			}
			if failed {
				return &engine.ExitError{Code: 1}
			}
			return nil
		},
	}
}
