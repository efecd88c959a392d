package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

// newSystemPruneCmd is `jinn system prune`; the system command itself
// (system_df.go) adds it with info and events.
func newSystemPruneCmd(o *Options) *cobra.Command {
	var all, force, volumes bool
	var filters []string
	prune := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove unused data", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fs, err := parseFilterSet(filters, pruneFilterKeys...)
			if err != nil {
				return err
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			if !force && !confirm(c, systemPruneWarning(all, volumes)) {
				return nil
			}
			ids, reclaimed, err := pruneContainers(c, e, fs)
			if err != nil {
				return err
			}
			printDeleted(c, "Deleted Containers:", ids)
			// Unused networks go too, as in docker; the default bridge,
			// kept up between containers, with them.
			if m, err := o.networks(); err == nil {
				nets, err := pruneNetworks(c, m, fs)
				if err != nil {
					return err
				}
				printDeleted(c, "Deleted Networks:", nets)
			}
			if volumes {
				names, n, err := pruneVolumes(e, false, fs)
				if err != nil {
					return err
				}
				reclaimed += n
				printDeleted(c, "Deleted Volumes:", names)
			}
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			items, n, err := st.Prune(image.PruneOptions{All: all, Filter: func(img *image.Image) bool {
				return until(fs, img.Created) && fs.Labels(img.Config.Config.Labels)
			}})
			if err != nil {
				return err
			}
			reclaimed += n
			printDeletedImages(c, items)
			// Layers and blobs no record owns (a crash between a
			// snapshot's directory and its index entry, a damaged index).
			if _, err := st.GC(); err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), "Total reclaimed space:", humanSize(reclaimed))
			return nil
		},
	}
	prune.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused images not just dangling ones")
	stringArrayVar(prune.Flags(), &filters, "filter", nil, "Provide filter values (e.g. \"label=<key>=<value>\")")
	prune.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	prune.Flags().BoolVar(&volumes, "volumes", false, "Prune anonymous volumes")
	return prune
}

// systemPruneWarning is docker's list of what system prune removes.
func systemPruneWarning(all, volumes bool) string {
	w := "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n"
	if volumes {
		w += "  - all anonymous volumes not used by at least one container\n"
	}
	if all {
		w += "  - all images without at least one container associated to them\n  - all build cache\n"
	} else {
		w += "  - all dangling images\n  - unused build cache\n"
	}
	return w
}

// printDeletedImages is the images section of a prune's report.
func printDeletedImages(c *cobra.Command, items []image.DeleteItem) {
	if len(items) == 0 {
		return
	}
	w := c.OutOrStdout()
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

// newSystemBootCmd is `jinn system boot`: at a host's start (from
// contrib/jinn-boot.service) it starts the containers whose restart
// policy is always, or unless-stopped when no user stopped them.
func newSystemBootCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "boot",
		Short: "Start the containers with restart policy always or unless-stopped (at the host's start)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			started, err := e.Boot(c.Context())
			for _, n := range started {
				fmt.Fprintln(c.OutOrStdout(), n)
			}
			return err
		},
	}
}
