package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// newExportCmd is docker export: a container's whole filesystem as a tar.
func newExportCmd(o *Options) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			snap, err := containerSnapshot(cmd, o, args[0])
			if err != nil {
				return err
			}
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			var w io.Writer = cmd.OutOrStdout()
			if output == "" {
				if f, ok := w.(*os.File); ok {
					if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
						return fmt.Errorf("cowardly refusing to save to a terminal. Use the -o flag or redirect")
					}
				}
				return st.Export(cmd.Context(), snap, w)
			}
			tmp, err := os.CreateTemp(filepath.Dir(output), ".jinn-export-")
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			defer os.Remove(tmp.Name())
			if err := st.Export(cmd.Context(), snap, tmp); err != nil {
				tmp.Close()
				return err
			}
			if err := tmp.Close(); err != nil {
				return err
			}
			os.Chmod(tmp.Name(), 0o644)
			return os.Rename(tmp.Name(), output)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return c
}
