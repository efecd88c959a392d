package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/snapshot"
)

type dfRow struct {
	Type        string
	TotalCount  string
	Active      string
	Size        string
	Reclaimable string
}

// newSystemCmd is `jinn system`: df here, prune, info and events from
// the engine.
func newSystemCmd(o *Options) *cobra.Command {
	c := &cobra.Command{Use: "system", Short: "Manage jinn"}
	c.AddCommand(newSystemDfCmd(o), newSystemPruneCmd(o), newSystemBootCmd(o), newInfoCmd(o), newEventsCmd(o))
	return c
}

func newSystemDfCmd(o *Options) *cobra.Command {
	var format string
	var verbose bool
	c := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show jinn disk usage",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			imgs, err := st.List()
			if err != nil {
				return err
			}
			infos, err := st.Snapshots().List()
			if err != nil {
				return err
			}
			// Containers are the active snapshots the engine labelled; an
			// image is active if a container sits on its top layer.
			parents := map[string]bool{}
			var ctrs []snapshot.Info
			for _, i := range infos {
				if i.Kind == snapshot.KindActive && i.Labels["jinn.container"] != "" {
					ctrs = append(ctrs, i)
					parents[i.Parent] = true
				}
			}
			var imgSize, imgActiveSize int64
			active := 0
			layerSeen := map[string]bool{}
			for _, img := range imgs {
				if parents[string(img.ChainID)] {
					active++
				}
				for i := range img.DiffIDs {
					k := chainOf(img.DiffIDs[:i+1])
					if layerSeen[k] {
						continue
					}
					layerSeen[k] = true
					u, _ := st.Snapshots().Usage(k)
					imgSize += u.Size
					if parents[string(img.ChainID)] {
						imgActiveSize += u.Size
					}
				}
			}
			var ctrSize int64
			for _, c := range ctrs {
				u, _ := st.Snapshots().Usage(c.Key)
				ctrSize += u.Size
			}
			reclaim := func(total, used int64) string {
				r := total - used
				if total == 0 {
					return "0B"
				}
				return fmt.Sprintf("%s (%d%%)", humanSize(r), r*100/total)
			}
			rows := []dfRow{
				{"Images", fmt.Sprint(len(imgs)), fmt.Sprint(active), humanSize(imgSize), reclaim(imgSize, imgActiveSize)},
				{"Containers", fmt.Sprint(len(ctrs)), fmt.Sprint(len(ctrs)), humanSize(ctrSize), "0B"},
				{"Local Volumes", "0", "0", "0B", "0B"},
				{"Build Cache", "0", "0", "0B", "0B"},
			}
			w := cmd.OutOrStdout()
			if err := printRows(w, format, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", rows); err != nil {
				return err
			}
			if verbose {
				fmt.Fprint(w, "\nImages space usage:\n\n")
				var irows []imageRow
				for _, img := range imgs {
					irows = append(irows, imageRows(img, false)...)
				}
				printRows(w, "", "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}", irows)
				fmt.Fprint(w, "\nContainers space usage:\n\n")
				fmt.Fprintln(w, "CONTAINER ID   SIZE")
				for _, c := range ctrs {
					u, _ := st.Snapshots().Usage(c.Key)
					fmt.Fprintf(w, "%-14s %s\n", truncate(strings.TrimPrefix(c.Key, "sha256:"), 12), humanSize(u.Size))
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "", "Format output using a custom template")
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on space usage")
	return c
}
