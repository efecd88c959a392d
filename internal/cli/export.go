package cli

import (
	"io"

	"github.com/spf13/cobra"
)

// newExportCmd is docker export: a container's whole filesystem as a tar.
func newExportCmd(o *Options) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			return writeArchive(cmd.OutOrStdout(), output, "export", func(w io.Writer) error {
				return e.Export(cmd.Context(), args[0], w)
			})
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return c
}
