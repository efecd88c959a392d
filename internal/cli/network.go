package cli

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/network"
)

// networks opens the network manager of the store at --root.
func (o *Options) networks() (*network.Manager, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return network.Open(network.Config{
		StateDir:   filepath.Join(o.Root, "network"),
		DNSCommand: []string{self, "network", "dns-serve"},
	})
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
