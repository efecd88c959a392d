package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

func newLoadCmd(o *Options) *cobra.Command {
	var input, platform string
	var quiet bool
	c := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := interruptible(cmd)
			defer stop()
			p, err := image.ParsePlatform(platform)
			if err != nil {
				return err
			}
			var r io.Reader = cmd.InOrStdin()
			if input != "" {
				f, err := os.Open(input)
				if err != nil {
					return fmt.Errorf("load: %w", err)
				}
				defer f.Close()
				r = f
			}
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			opts := image.LoadOptions{Platform: p, Warn: cmd.ErrOrStderr()}
			if !quiet {
				opts.Progress = cmd.OutOrStdout()
			}
			_, err = st.Load(ctx, r, opts)
			return err
		},
	}
	c.Flags().StringVarP(&input, "input", "i", "", "Read from tar archive file, instead of STDIN")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress the load output")
	c.Flags().StringVar(&platform, "platform", "", `Load only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`)
	return c
}
