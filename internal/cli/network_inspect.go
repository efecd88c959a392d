package cli

import (
	"encoding/json"
	"fmt"

	mnet "github.com/moby/moby/api/types/network"
	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/apiserver"
)

func newNetworkInspectCmd(o *Options) *cobra.Command {
	var format string
	var verbose bool
	c := &cobra.Command{
		Use:   "inspect NETWORK [NETWORK...]",
		Short: "Display detailed information on one or more networks",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			m, err := o.networks()
			if err != nil {
				return err
			}
			out := []mnet.Inspect{}
			var firstErr error
			for _, a := range args {
				n, err := m.InspectNetwork(a)
				if err != nil {
					fmt.Fprintln(c.ErrOrStderr(), "Error:", err)
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				out = append(out, apiserver.NetworkDoc(n))
			}
			if format != "" {
				if err := printInspect(c.OutOrStdout(), format, toAny(out)); err != nil {
					return err
				}
				return firstErr
			}
			enc := json.NewEncoder(c.OutOrStdout())
			enc.SetIndent("", "    ")
			if err := enc.Encode(out); err != nil {
				return err
			}
			return firstErr
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", formatHelpJSON)
	// Docker's verbose adds a swarm network's services and tasks; a local
	// network's document is the same with it or without, here as there.
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "Verbose output for diagnostics")
	return c
}
