package cli

import (
	"bufio"
	"fmt"
	"strings"

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
			if !force {
				what := "all dangling images"
				if all {
					what = "all images without at least one container associated to them"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "WARNING! This will remove %s.\nAre you sure you want to continue? [y/N] ", what)
				line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					return nil
				}
			}
			items, reclaimed, err := st.Prune(image.PruneOptions{All: all, Filter: func(img *image.Image) bool {
				return keep(img, imageRow{})
			}})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if len(items) > 0 {
				fmt.Fprintln(w, "Deleted Images:")
				for _, it := range items {
					if it.Untagged != "" {
						fmt.Fprintln(w, "untagged:", it.Untagged)
					} else {
						fmt.Fprintln(w, "deleted:", it.Deleted)
					}
				}
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "Total reclaimed space: %s\n", humanSize(reclaimed))
			return nil
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "Remove all unused images, not just dangling ones")
	f.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	f.StringArrayVar(&filters, "filter", nil, "Provide filter values (e.g. \"until=<timestamp>\", \"label=k=v\")")
	return c
}
