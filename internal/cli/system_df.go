package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/jinn-containers/jinn/internal/monitor"

	"github.com/spf13/cobra"
)

type dfRow struct {
	Type        string
	TotalCount  string
	Active      string
	Size        string
	Reclaimable string
}

// MarshalJSON is docker's object for --format json and {{json .}}.
func (r dfRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

// newSystemCmd is `jinn system`: df here, prune, info and events from
// the engine.
func newSystemCmd(o *Options) *cobra.Command {
	c := &cobra.Command{Use: "system", Short: "Manage jinn"}
	c.AddCommand(newSystemDfCmd(o), newSystemPruneCmd(o), newSystemBootCmd(o), newInfoCmd(o), newEventsCmd(o), newServiceCmd(o))
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
			e, err := o.engine()
			if err != nil {
				return err
			}
			du, err := e.DiskUsage(cmd.Context())
			if err != nil {
				return err
			}
			// A container's layer is its snapshot's ("jinn-" + id); the
			// running ones are active, the rest reclaimable.
			views, err := e.List(cmd.Context())
			if err != nil {
				return err
			}
			sizes := map[string]int64{}
			var ctrSize, ctrUsed int64
			for _, c := range du.Containers {
				sizes[c.ID] = c.Size
				ctrSize += c.Size
			}
			running := 0
			for _, v := range views {
				if v.State.Status == monitor.StatusRunning {
					running++
					ctrUsed += sizes[v.Snapshot]
				}
			}
			reclaim := func(total, used int64) string {
				r := total - used
				if total == 0 {
					return "0B"
				}
				return fmt.Sprintf("%s (%d%%)", humanSize(r), r*100/total)
			}
			// Volumes: their data, and what no container uses.
			vols, _ := e.Volumes().List()
			var volSize, volUsed int64
			volActive := 0
			for _, v := range vols {
				n := dirSize(v.Mountpoint)
				volSize += n
				if len(e.Volumes().InUse(v.Name)) > 0 {
					volActive++
					volUsed += n
				}
			}
			rows := []dfRow{
				{"Images", fmt.Sprint(du.Images), fmt.Sprint(du.ActiveImages), humanSize(du.ImagesSize), reclaim(du.ImagesSize, du.ActiveImagesSize)},
				{"Containers", fmt.Sprint(len(views)), fmt.Sprint(running), humanSize(ctrSize), reclaim(ctrSize, ctrUsed)},
				{"Local Volumes", fmt.Sprint(len(vols)), fmt.Sprint(volActive), humanSize(volSize), reclaim(volSize, volUsed)},
				{"Build Cache", "0", "0", "0B", "0B"},
			}
			w := cmd.OutOrStdout()
			if err := printRows(w, format, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", rows); err != nil {
				return err
			}
			if verbose {
				st, err := openImageStore(o)
				if err != nil {
					return err
				}
				imgs, err := st.List()
				if err != nil {
					return err
				}
				fmt.Fprint(w, "\nImages space usage:\n\n")
				var irows []imageRow
				for _, img := range imgs {
					irows = append(irows, imageRows(img, false)...)
				}
				printRows(w, "", "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}", irows)
				fmt.Fprint(w, "\nContainers space usage:\n\n")
				var crows []psRow
				for _, v := range views {
					crows = append(crows, psRow{o: o, v: v, size: humanSize(sizes[v.Snapshot])})
				}
				printRowsTitled(w, "", "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}", psHeaders, crows)
				fmt.Fprint(w, "\nLocal Volumes space usage:\n\n")
				tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
				fmt.Fprintln(tw, "VOLUME NAME\tLINKS\tSIZE")
				for _, v := range vols {
					fmt.Fprintf(tw, "%s\t%d\t%s\n", v.Name, len(e.Volumes().InUse(v.Name)), humanSize(dirSize(v.Mountpoint)))
				}
				tw.Flush()
				fmt.Fprint(w, "\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE   CREATED   LAST USED   USAGE   SHARED\n")
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "", formatHelpTable)
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on space usage")
	return c
}
