package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/build"
)

// newBuilderCmd is `jinn builder`: `prune` clears the layer cache and
// `build` is docker's alias of `jinn build`.
func newBuilderCmd(o *Options) *cobra.Command {
	c := &cobra.Command{Use: "builder", Short: "Manage the build cache"}
	var all, force bool
	prune := &cobra.Command{
		Use:   "prune",
		Short: "Remove the build cache",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openImageStore(o)
			if err != nil {
				return err
			}
			what := "all dangling build cache"
			if all {
				what = "all build cache"
			}
			if !force && !confirm(cmd, "WARNING! This will remove "+what+".") {
				return nil
			}
			n, freed, err := build.Prune(store, o.Root)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted build cache objects: %d\nTotal reclaimed space: %s\n", n, buildHumanBytes(freed))
			return nil
		},
	}
	prune.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused build cache, not just dangling ones (the same here)")
	prune.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	c.AddCommand(prune, newBuildCmd(o))
	return c
}

func buildHumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.3g%cB", float64(n)/float64(div), "kMGTPE"[exp])
}
