package cli

import (
	"fmt"
	"strconv"
	"time"

	digest "github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

type historyRow struct {
	ID           string
	CreatedSince string
	CreatedAt    string
	CreatedBy    string
	Size         string
	Comment      string
}

// MarshalJSON is docker's object for --format json and {{json .}}.
func (r historyRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

// historyTitles are docker's history columns.
var historyTitles = map[string]string{"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
	"CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"}

func newHistoryCmd(o *Options) *cobra.Command {
	var human, quiet, noTrunc bool
	var format string
	c := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			img, err := st.Get(args[0])
			if err != nil {
				return err
			}
			// Layer sizes from the snapshots, matched to the history
			// entries that made a layer.
			sizes := make([]int64, len(img.DiffIDs))
			for i := range img.DiffIDs {
				u, err := st.Snapshots().Usage(chainOf(img.DiffIDs[:i+1]))
				if err == nil {
					sizes[i] = u.Size
				}
			}
			hist := img.Config.History
			var rows []historyRow
			li := len(img.DiffIDs) - 1
			for i := len(hist) - 1; i >= 0; i-- {
				h := hist[i]
				r := historyRow{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment, Size: "0B"}
				if i == len(hist)-1 {
					r.ID = shortID(img.ID.String(), noTrunc)
				}
				var t time.Time
				if h.Created != nil {
					t = *h.Created
				}
				r.CreatedSince, r.CreatedAt = since(t), t.Format(time.RFC3339)
				if !h.EmptyLayer && li >= 0 {
					r.Size = humanSize(sizes[li])
					if !human {
						r.Size = strconv.FormatInt(sizes[li], 10)
					}
					li--
				}
				if !noTrunc && len(r.CreatedBy) > 45 {
					r.CreatedBy = r.CreatedBy[:44] + "…"
				}
				rows = append(rows, r)
			}
			if len(hist) == 0 {
				rows = append(rows, historyRow{ID: shortID(img.ID.String(), noTrunc), CreatedSince: since(img.Created), Size: humanSize(img.Size)})
			}
			w := cmd.OutOrStdout()
			if quiet {
				for _, r := range rows {
					fmt.Fprintln(w, r.ID)
				}
				return nil
			}
			return printRowsTitled(w, format, "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", historyTitles, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&human, "human", "H", true, "Print sizes and dates in human readable format")
	f.BoolVarP(&quiet, "quiet", "q", false, "Only show image IDs")
	f.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	f.StringVar(&format, "format", "", formatHelpTable)
	return hostPlatformOnly(c, "Show history for the given platform. "+platformFormat, false)
}

// chainOf is the snapshot key of the layer stack d.
func chainOf(d []digest.Digest) string { return string(image.ChainID(d)) }
