package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/image"
)

func newSaveCmd(o *Options) *cobra.Command {
	var output, format string
	c := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
				return st.Save(cmd.Context(), args, w, image.SaveFormat(format))
			}
			// Write beside the target and rename: no half-written archive.
			tmp, err := os.CreateTemp(filepath.Dir(output), ".jinn-save-")
			if err != nil {
				return fmt.Errorf("save: %w", err)
			}
			defer os.Remove(tmp.Name())
			if err := st.Save(cmd.Context(), args, tmp, image.SaveFormat(format)); err != nil {
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
	c.Flags().StringVar(&format, "format", "docker-archive", "Archive format: docker-archive or oci-archive")
	return c
}
