package ocicli

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/jinn-containers/jinn/internal/runtime"
	"github.com/spf13/cobra"
)

func newList(g *Global) *cobra.Command {
	var quiet bool
	var format string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the containers under --root",
		Args:    exactArgs(0, "none"),
		RunE: func(cmd *cobra.Command, args []string) error {
			all, err := g.Runtime().List()
			if err != nil {
				return err
			}
			if quiet {
				for _, s := range all {
					fmt.Println(s.ID)
				}
				return nil
			}
			switch format {
			case "json":
				if all == nil {
					all = []runtime.OCIState{}
				}
				return json.NewEncoder(os.Stdout).Encode(all)
			case "table":
				w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
				fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
				for _, s := range all {
					fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle,
						s.Created.Format(time.RFC3339Nano), "root")
				}
				return w.Flush()
			}
			return fmt.Errorf("invalid format option %q", format)
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "display only container IDs")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "table or json")
	return cmd
}
