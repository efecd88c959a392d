package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

func newPushCmd(o *Options) *cobra.Command {
	var quiet, insecure bool
	c := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := interruptible(cmd)
			defer stop()
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			var prog io.Writer
			if !quiet {
				prog = cmd.OutOrStdout()
			}
			if err := st.Push(ctx, args[0], image.PushOptions{Progress: prog, Insecure: insecure}); err != nil {
				return err
			}
			if quiet { // docker's -q prints the reference pushed
				n, _ := image.ParseRef(args[0])
				fmt.Fprintln(cmd.OutOrStdout(), n.String())
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	c.Flags().BoolVar(&insecure, "insecure", false, "Allow plain HTTP to the registry (loopback always may)")
	return c
}
