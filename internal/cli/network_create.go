package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/network"
)

func newNetworkCreateCmd(o *Options) *cobra.Command {
	var opts network.NetworkOptions
	var driver string
	var labels []string
	c := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if driver != "bridge" {
				return fmt.Errorf("network driver %q is not supported: only bridge", driver)
			}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				if opts.Labels == nil {
					opts.Labels = map[string]string{}
				}
				opts.Labels[k] = v
			}
			m, err := o.networks()
			if err != nil {
				return err
			}
			n, err := m.CreateNetwork(c.Context(), args[0], opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), n.ID)
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&driver, "driver", "d", "bridge", "Driver to manage the network")
	f.StringVar(&opts.Subnet, "subnet", "", "Subnet in CIDR format")
	f.StringVar(&opts.Gateway, "gateway", "", "IPv4 gateway for the subnet")
	f.BoolVar(&opts.Internal, "internal", false, "Restrict external access to the network")
	f.IntVar(&opts.MTU, "mtu", 0, "MTU of the bridge and its veths")
	f.StringArrayVar(&labels, "label", nil, "Set metadata on a network")
	return c
}
