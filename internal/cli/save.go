package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

func newSaveCmd(o *Options) *cobra.Command {
	var output, format string
	c := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := interruptible(cmd)
			defer stop()
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			return writeArchive(cmd.OutOrStdout(), output, "save", func(w io.Writer) error {
				return st.Save(ctx, args, w, image.SaveFormat(format))
			})
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	c.Flags().StringVar(&format, "format", "docker-archive", "Archive format: docker-archive or oci-archive")
	return hostPlatformOnly(c, "Save only the given platform variant. "+platformFormat, false)
}
