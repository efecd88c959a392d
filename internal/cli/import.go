package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/build"
	"github.com/jinn-containers/jinn/internal/image"
)

func newImportCmd(o *Options) *cobra.Command {
	var changes []string
	var message, platform string
	c := &cobra.Command{
		Use:   "import [OPTIONS] file|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := interruptible(cmd)
			defer stop()
			p, err := image.ParsePlatform(platform)
			if err != nil {
				return err
			}
			opts := image.ImportOptions{Message: message, Platform: p,
				Apply: func(c *image.Config) error { return build.ApplyChanges(c, changes) }}
			if len(args) == 2 {
				opts.Ref = args[1]
			}
			var r io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("import: %w", err)
				}
				defer f.Close()
				r = f
			}
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			img, err := st.Import(ctx, r, opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), img.ID)
			return nil
		},
	}
	f := c.Flags()
	stringArrayVarP(f, &changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	f.StringVarP(&message, "message", "m", "", "Set commit message for imported image")
	f.StringVar(&platform, "platform", "", "Set platform if server is multi-platform capable")
	return c
}
