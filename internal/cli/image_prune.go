package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

func newImagePruneCmd(o *Options) *cobra.Command {
	var all, force bool
	var filters []string
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			keep, err := imageFilter(st, filters)
			if err != nil {
				return err
			}
			what := "all dangling images"
			if all {
				what = "all images without at least one container associated to them"
			}
			if !force && !confirm(cmd, "WARNING! This will remove "+what+".") {
				return nil
			}
			items, reclaimed, err := st.Prune(image.PruneOptions{All: all, Filter: func(img *image.Image) bool {
				return keep(img, imageRow{})
			}})
			if err != nil {
				return err
			}
			printDeletedImages(cmd, items)
			fmt.Fprintf(cmd.OutOrStdout(), "Total reclaimed space: %s\n", humanSize(reclaimed))
			return nil
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "Remove all unused images, not just dangling ones")
	f.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	stringArrayVar(f, &filters, "filter", nil, `Provide filter values (e.g. "until=<timestamp>")`)
	return c
}
