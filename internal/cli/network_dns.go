package cli

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/network"
)

// newNetworkDNSServeCmd is the hidden process the network manager starts
// to serve a user network's names (see network.ServeDNS).
func newNetworkDNSServeCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:    "dns-serve STATEDIR NETWORK",
		Hidden: true,
		Args:   cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			var ready *os.File
			if f := os.NewFile(3, "ready"); f != nil {
				ready = f
			}
			return network.ServeDNS(ctx, args[0], args[1], ready)
		},
	}
}
