package cli

import (
	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/network"
)

// networks is the engine's network manager of the store at --root.
func (o *Options) networks() (*network.Manager, error) {
	e, err := o.engine()
	if err != nil {
		return nil, err
	}
	return e.Networks()
}

// newNetworkCmd is `jinn network`, with one subcommand per file.
func newNetworkCmd(o *Options) *cobra.Command {
	c := &cobra.Command{Use: "network", Short: "Manage networks", Args: cobra.NoArgs}
	c.AddCommand(
		newNetworkCreateCmd(o),
		newNetworkLsCmd(o),
		newNetworkInspectCmd(o),
		newNetworkRmCmd(o),
		newNetworkPruneCmd(o),
		newNetworkConnectCmd(o),
		newNetworkDisconnectCmd(o),
		newNetworkTeardownCmd(o),
		newNetworkDNSServeCmd(o),
	)
	return c
}
